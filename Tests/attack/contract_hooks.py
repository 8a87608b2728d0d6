"""schemathesis hooks for contract.py (loaded through SCHEMATHESIS_HOOKS): the credential
under test, the cases that would destroy it, and the failures whose premise does not hold
behind nginx. Configured by contract.py through CONTRACT_* environment variables.
"""

import base64
import json
import os

import httpx
import schemathesis

KIND = os.environ["CONTRACT_KIND"]  # bearer, basic or apikey
SECRET = os.environ["CONTRACT_SECRET"]  # the token, user:password, or the key
BASE = os.environ["CONTRACT_BASE"]  # http://host:port/auth
CALLER_ID = int(os.environ["CONTRACT_CALLER_ID"])  # the account the credential speaks for
LOGIN = os.environ["CONTRACT_LOGIN"]  # user:password of that account, for throwaway tokens


def _claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


CURRENT_SESSION = _claims(SECRET).get("sid") if KIND == "bearer" else None


def _throwaway_token():
    user, password = LOGIN.split(":", 1)
    answer = httpx.post(BASE + "/token", data={"username": user, "password": password, "scope": "me"})
    answer.raise_for_status()
    return answer.json()["access_token"]


# retry_on=[]: a 401 is an answer under test, never a reason to fetch the credential again.
@schemathesis.auth(refresh_interval=None, retry_on=[])
class Credential:
    """Set on each case (not with -H), so that the ignored_auth check's probes can take it
    away: a header given on the command line would ride along on every probe, and the first
    scheme that presents a valid credential decides here, as in FastAPI."""

    def get(self, case, context):
        return SECRET

    def set(self, case, data, context):
        case.headers = dict(case.headers or {})
        if KIND == "bearer":
            # Logging out ends the token's session: /logout gets a token of its own each time.
            token = _throwaway_token() if case.operation.path == "/logout" else data
            case.headers["Authorization"] = f"Bearer {token}"
        elif KIND == "basic":
            case.headers["Authorization"] = "Basic " + base64.b64encode(data.encode()).decode()
        else:
            case.headers["X-API-Key"] = data


@schemathesis.hook
def filter_case(context, case):
    """Cases that would end the credential under test mid-run (every later answer a 401):
    changing or deleting the caller's own account, ending the token's own session."""
    parameters = case.path_parameters or {}
    if parameters.get("user_id") == CALLER_ID and case.method.upper() in ("PATCH", "DELETE"):
        return False
    if CURRENT_SESSION is not None and parameters.get("session_id") == CURRENT_SESSION:
        return False
    return True


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Failures whose premise does not hold here, each with its reason; everything else counts.

    nginx answers TRACE itself (405 before any location is chosen, so no Allow header can
    be added from the included gatehouse.conf without changing the whole site); Gatehouse
    never sees it. Every other undeclared method reaches Gatehouse and is checked."""
    if failure.code == "ST204" and response.request.method == "TRACE":
        return False
    # The two-factor routes take a one-time code (and the password): a secret that no schema
    # can generate, as the password at /token (which schemathesis exempts as the tokenUrl),
    # and their 400 also says the account is not in the state the step needs. Schema-valid,
    # yet refused for what only the account knows.
    if failure.code == "ST202" and case.operation.path.startswith("/users/me/totp") and response.status_code == 400:
        return False
    # The same for a profile change (PATCH /users/me/): its 400s (UPDATE_USER_…) depend on the
    # account's current password and on other accounts' addresses. (An empty current password
    # is refused by the schema: minLength 1.)
    if (failure.code == "ST202" and response.status_code == 400 and case.operation.path == "/users/me/"
            and case.method.upper() == "PATCH" and response.text.startswith('{"detail":"UPDATE_USER_')):
        return False
    return True
