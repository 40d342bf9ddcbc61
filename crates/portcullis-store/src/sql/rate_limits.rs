//! Statements on `rate_limits`: fixed-window hit counters.

/// `$1` key, `$2` now, `$3` window cutoff.
///
/// One statement, so concurrent hits on a key (from any number of instances)
/// are serialised by the database and none is lost: the first creates the
/// row, every later one updates it under the row's lock. A window that began
/// at or before the cutoff is over, and the hit opens a new one at `now`.
/// Both CASEs read `rate_limits.window_start` as it was before this UPDATE
/// (right-hand sides see the old row on SQLite and PostgreSQL alike, whatever
/// the order of the assignments), so they agree on whether the window ended.
pub(crate) const HIT: &str = "INSERT INTO rate_limits (key, window_start, hits) \
     VALUES ($1, $2, 1) \
     ON CONFLICT (key) DO UPDATE SET \
     hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 \
     ELSE rate_limits.hits + 1 END, \
     window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 \
     ELSE rate_limits.window_start END \
     RETURNING hits, window_start";

/// `$1` cutoff.
pub(crate) const PURGE_RATE_LIMITS: &str = "DELETE FROM rate_limits WHERE window_start < $1";

/// `$1` key, `$2` window start: takes back one hit of that window.
pub(crate) const REFUND: &str =
    "UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND window_start = $2 AND hits > 0";
