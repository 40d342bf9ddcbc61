-- wrk script for every Portcullis scenario.
--
--   wrk ... -s bench/load.lua URL -- REQUESTS_FILE EXPECTED_STATUSES
--
-- REQUESTS_FILE holds one request per line, tab-separated:
--   METHOD  PATH  COOKIE  CONTENT_TYPE  BODY  [HEADERS]
-- (empty fields allowed). The optional sixth field holds extra headers as
-- `Name: value` pairs separated by `|`, e.g.
--   X-Original-URL: https://app.example.com/a|Accept: text/html
-- (so neither a name nor a value may hold `|`); a line of five fields sends
-- none. Each thread pre-builds the requests once and cycles through them
-- from its own offset, so a request costs wrk a table lookup, not a string
-- build.
--
-- EXPECTED_STATUSES is a comma-separated list (e.g. "200", "303", "401").
-- Every response is counted by status; any status not in the list is an
-- error. wrk's own error counts only cover >= 400 and socket errors, which
-- would miss a session page that redirects to the login form (303) and
-- would count a login flood's expected 401 as a failure.
--
-- `done` prints one line, "BENCH_JSON {...}", for bench/run to read.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local file, expected = args[1], args[2]
  requests = {}
  for line in io.lines(file) do
    local method, path, cookie, ctype, rest =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local body, extra = rest:match("^([^\t]*)\t(.*)$")
      if not body then body, extra = rest, "" end
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if ctype ~= "" then headers["Content-Type"] = ctype end
      for pair in extra:gmatch("[^|]+") do
        local name, value = pair:match("^%s*([^:]-)%s*:%s*(.-)%s*$")
        if not name or name == "" then
          error("bad header " .. string.format("%q", pair) .. " in " .. tostring(file))
        end
        headers[name] = value
      end
      if body == "" then body = nil end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  if #requests == 0 then
    error("no requests in " .. tostring(file))
  end
  -- Spread the threads over the list so they do not send the same sequence.
  index = ((offset or 0) * 7919) % #requests
  statuses = {}
  expected_statuses = expected or "200"
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_number(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  return string.format("%.3f", x)
end

function done(summary, latency, requests)
  local expected = {}
  local expected_list = threads[1] and threads[1]:get("expected_statuses") or "200"
  for code in string.gmatch(expected_list, "%d+") do
    expected[tonumber(code)] = true
  end
  local counts, responses, unexpected = {}, 0, 0
  for _, thread in ipairs(threads) do
    local per_thread = thread:get("statuses") or {}
    for status, n in pairs(per_thread) do
      counts[status] = (counts[status] or 0) + n
      responses = responses + n
      if not expected[status] then unexpected = unexpected + n end
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    'BENCH_JSON {"duration_s":%s,"requests":%d,"responses":%d,"bytes":%d,' ..
    '"rps":%s,"p50_ms":%s,"p90_ms":%s,"p99_ms":%s,"max_ms":%s,"mean_ms":%s,' ..
    '"statuses":{%s},"unexpected_status":%d,"socket_errors":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"errors":%d}\n',
    json_number(summary.duration / 1e6), summary.requests, responses, summary.bytes,
    json_number(summary.requests / (summary.duration / 1e6)),
    json_number(latency:percentile(50) / 1000), json_number(latency:percentile(90) / 1000),
    json_number(latency:percentile(99) / 1000), json_number(latency.max / 1000),
    json_number(latency.mean / 1000),
    table.concat(parts, ","), unexpected, socket_errors,
    e.connect, e.read, e.write, e.timeout, unexpected + socket_errors))
end
