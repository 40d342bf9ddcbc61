"""Authentication for the schemathesis runs of `.ci/schemathesis`.

ST_AUTH=session logs in through `POST /api/login` and sends the session
cookie and its CSRF token; ST_AUTH=token gets a login token from
`POST /api/token` and sends it as a bearer token. The credentials are
fetched again every few seconds: the run may log itself out, revoke its
token, end its sessions, rename or deactivate its own account. When the
account cannot log in any more, a new administrator is made with the
command line and used from then on.
"""

import json
import os
import urllib.error
import urllib.request
import uuid

import schemathesis
from st_accounts import make_admin

BASE = os.environ["ST_BASE"]
MODE = os.environ["ST_AUTH"]
PASSWORD = os.environ["ST_PASSWORD"]
BINARY = os.environ["ST_BINARY"]
DATABASE = os.environ["ST_DATABASE"]
_account = {"username": os.environ["ST_USERNAME"]}


def _post(path, body):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, None


def _login():
    credentials = {"username": _account["username"], "password": PASSWORD}
    if MODE == "session":
        status, headers, body = _post("/api/login", credentials)
        if status != 200:
            return None
        cookie = headers["set-cookie"].split(";", 1)[0]
        return {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}
    status, _, body = _post("/api/token", credentials)
    if status != 200:
        return None
    return {"Authorization": "Bearer " + body["token"]}


@schemathesis.auth(refresh_interval=3)
class PortcullisAuth:
    def get(self, case, context):
        headers = _login()
        if headers is None:
            _account["username"] = "st-" + uuid.uuid4().hex[:12]
            make_admin(BINARY, DATABASE, _account["username"], PASSWORD)
            headers = _login()
        return headers

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}
