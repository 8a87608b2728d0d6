"""What the bench measures: each scenario's request, and the wrk script that sends it."""

from dataclasses import dataclass, field


@dataclass
class Request:
    path: str
    method: str = "GET"
    body: str | None = None
    expect: int = 200  # what Gatehouse and FastAPI must answer (nginx and C always answer 200)
    needs_users: bool = False
    auth: str | None = None  # "token": the target's bearer token; "apikey": its API key; any other string: sent as is
    extra_headers: dict = field(default_factory=dict)

    def headers(self, target):
        headers = dict(self.extra_headers)
        if self.auth == "token":
            # nginx and C get a token of the same size, so the FastCGI hop carries the same bytes.
            headers["Authorization"] = "Bearer " + (target.token or "x" * 180)
        elif self.auth == "refresh":
            pass  # the token travels in the body, chained by refresh_script
        elif self.auth == "apikey":
            headers["X-API-Key"] = target.api_key or "gh_" + "0" * 16 + "_" + "A" * 43
        elif self.auth:
            headers["Authorization"] = self.auth
        return headers


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HEALTH = Request("/health")
ME = Request("/users/me/", auth="token", needs_users=True)
GARBAGE = Request("/users/me/", auth="Bearer not.a.token", expect=401)
LOGIN = Request("/token", method="POST", body="username=johndoe&password=secret&scope=me+items",
                extra_headers=FORM, needs_users=True)
LOGIN_TITLE = "(d) POST /token login"
# A wrong password from one address: after throttle_address_max_failures the address is banned,
# and every further guess is a 429 that costs no hash.
WRONG_LOGIN = Request("/token", method="POST", body="username=johndoe&password=wrong&scope=me",
                      extra_headers=FORM, needs_users=True, expect=400)
REFRESH_TITLE = "(g) POST /token refresh grant"
REFRESH = Request("/token", method="POST", auth="refresh", extra_headers=FORM, needs_users=True)
FLOOD_TITLE = "(h) /users/me/ during wrong passwords"
GATE_TITLE = "(i) static file behind auth_request"
JWT_TITLE = "(b) GET /users/me/ valid token"


def letter(title):
    """A scenario's letter, the one in parentheses at the start of its title: "(a) GET /health" -> "a"."""
    return title[1:title.index(")")] if title.startswith("(") and ")" in title else ""


@dataclass
class Scenario:
    title: str
    request: Request
    baselines: bool = True  # also run nginx return 200 and the C responders
    login: bool = False  # Argon2-bound: fewer connections, BENCH_LOGIN_DURATION, long timeout
    under_logins: bool = False  # run a login wrk alongside and report this request's latency
    under_flood: bool = False  # the same, with wrong passwords from one address
    gatehouse_only: bool = False  # a scheme tutorial005 does not have
    # A second of the same load first, not counted: every worker's memory holds the credential
    # (a worker's first Basic request hashes the password), so the row is the steady state.
    warm_up: bool = False

    def targets(self, bench):
        apps = [bench.gatehouse] if self.gatehouse_only else [bench.gatehouse, bench.fastapi]
        return ([bench.nginx, bench.c, bench.c_plain] if self.baselines else []) + apps


SCENARIOS = [
    Scenario("(a) GET /health", HEALTH),
    Scenario(JWT_TITLE, ME),
    Scenario("(c) GET /users/me/ garbage token 401", GARBAGE),
    Scenario(LOGIN_TITLE, LOGIN, baselines=False, login=True),
    Scenario("(e) /users/me/ during logins", ME, baselines=False, under_logins=True),
]

# (f) the other schemes of the user routes, against the JWT figure of (b): HTTP Basic (after
# the first request, the per-worker cache answers without Argon2) and an API key (a SHA-256
# and a lookup). tutorial005 has neither, so FastAPI does not run them.
BASIC_TITLE = "(f) GET /users/me/ HTTP Basic (cached)"
APIKEY_TITLE = "(f) GET /users/me/ API key"
EXTRA_SCENARIOS = [
    Scenario(BASIC_TITLE, Request("/users/me/", auth="Basic am9obmRvZTpzZWNyZXQ=", needs_users=True), gatehouse_only=True,
             warm_up=True),
    Scenario(APIKEY_TITLE, Request("/users/me/", auth="apikey", needs_users=True), gatehouse_only=True),
]
SCENARIOS += EXTRA_SCENARIOS
# (g) refreshes, each connection sending the refresh token the previous answer returned
# (rotation; requests in flight with the same token get the grace answer), and (h) the
# latency of /users/me/ while one address keeps guessing passwords.
SCENARIOS += [
    Scenario(REFRESH_TITLE, REFRESH, baselines=False, gatehouse_only=True),
    Scenario(FLOOD_TITLE, ME, baselines=False, under_flood=True),
]
# ------------------------------------------------------------------------------------------


def lua(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def refresh_script(headers, token):
    """The refresh grant, chained: each answer's refresh_token is the next request's."""
    lines = ['wrk.method = "POST"']
    for name, value in headers.items():
        lines.append(f"wrk.headers[{lua(name)}] = {lua(value)}")
    lines.append(f"token = {lua(token)}")
    lines.append("""
request = function()
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end
response = function(status, headers, body)
  local next = body:match('"refresh_token":"([^"]+)"')
  if next then token = next end
end
""")
    return "\n".join(lines) + DONE


def wrk_script(method, headers, body):
    lines = [f"wrk.method = {lua(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {lua(body)}")
    for name, value in headers.items():
        lines.append(f"wrk.headers[{lua(name)}] = {lua(value)}")
    return "\n".join(lines) + DONE


DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
"""
