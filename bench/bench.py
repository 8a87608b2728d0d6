"""Gatehouse's benchmark: wrk through one private nginx, every target in the same run.

On a shared, noisy machine only ratios measured in one run mean anything, so this
starts everything itself (nginx, a minimal C libfcgi responder, Gatehouse, FastAPI's
tutorial under uvicorn), runs each scenario against each target one after another,
and prints one table with ratios to nginx's own `return 200` and to the C responder,
then the tables of (k), one CGI request (cgi_request.py), (l), heap allocations per
request (allocations.py), and (m), instructions per request in process (instructions.py).
Nothing here asserts a timing.

Settings (environment): BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
BENCH_WORKERS (cores), BENCH_LOGIN_CONNECTIONS (8), BENCH_LOGIN_DURATION (= duration),
BENCH_ONLY (all): the scenarios to run, by the letters of their titles, e.g. a,b,f,i,k,l,m
(FastAPI and PostgreSQL start only when a chosen scenario needs them), BENCH_CGI_RUNS (20)
for (k), BENCH_ALLOC_REQUESTS (2000) for (l), BENCH_HOTPATH_REQUESTS (400) for (m),
BENCH_STORE_USERS (1000000) for (j),
GH_BIN (.build/release/gatehouse), BENCH_KEEP=1 keeps the temp dir and logs.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from allocations import ALLOC_TITLE, Probes, run_allocations
from cgi_request import CGI_TITLE, run_cgi
from instructions import INSTR_TITLE, run_instructions
from procs import (Processes, curl, free_port, helper_name, memory_kib, process_tree, tree_cpu_seconds,
                   unix_socket_accepts, wait_for)
from scenarios import (GATE_TITLE, APIKEY_TITLE, BASIC_TITLE, JWT_TITLE, LOGIN, LOGIN_TITLE, ME, REFRESH, SCENARIOS, WRONG_LOGIN,
                       letter, refresh_script, wrk_script)
from store import STORE_TITLE, create_database, run_store, start_postgresql

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
# FastAPI tutorial005's secret; both apps sign and verify with it.
SECRET = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
CORES = os.cpu_count() or 1


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


DURATION = os.environ.get("BENCH_DURATION", "").strip() or "10s"
LOGIN_DURATION = os.environ.get("BENCH_LOGIN_DURATION", "").strip() or DURATION
CONNECTIONS = env_int("BENCH_CONNECTIONS", 64)
THREADS = env_int("BENCH_THREADS", 2)
WORKERS = env_int("BENCH_WORKERS", CORES)
LOGIN_CONNECTIONS = env_int("BENCH_LOGIN_CONNECTIONS", 8)
GH_BIN = os.environ.get("GH_BIN") or str(ROOT / ".build/release/gatehouse")
PY = os.environ.get("PY") or sys.executable
ONLY = {part.strip().lower() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()}
# The scenarios measured with wrk, then the three measured otherwise.
WRK_TITLES = [s.title for s in SCENARIOS] + [GATE_TITLE, STORE_TITLE]
TITLES = WRK_TITLES + [CGI_TITLE, ALLOC_TITLE, INSTR_TITLE]


def selected(title):
    return not ONLY or letter(title) in ONLY


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the servers


NGINX_CONF = """\
{user}
worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    fastcgi_cache_path {prefix}/gate-cache keys_zone=gatehouse:10m;

    upstream fastapi {{
        server unix:{uvicorn_socket};
        keepalive 64;
    }}

    server {{
        listen 127.0.0.1:{port};

        location /nginx {{
            return 200 "ok";
        }}

        location /c/ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:{c_socket};
        }}

        location /cp/ {{
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:{c_plain_socket};
        }}

{gatehouse_location}

{gatehouse_pg_location}

{gatehouse_pgn_location}

{gate_locations}

        location /fastapi/ {{
            proxy_pass http://fastapi/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""

def gate_locations(socket, c_socket, c_plain_socket, www):
    """(i): one static file, unprotected, behind auth_request to the C responder (the ceiling
    of any FastCGI gate; closing as libfcgi does, and plainly), and behind the shipped auth-request.conf to Gatehouse, without and
    with the decision cache (check_cache_seconds in the bench's config)."""
    shipped = (ROOT / "nginx" / "auth-request.conf").read_text().replace("/run/gatehouse/gatehouse.sock", str(socket))
    cached = shipped.split("location = /_gatehouse/check {", 1)[1].split("\n}", 1)[0]
    cached = cached.replace("# fastcgi_cache gatehouse;", "fastcgi_cache gatehouse;").replace(
        "# fastcgi_cache_key", "fastcgi_cache_key").replace("# fastcgi_cache_valid", "fastcgi_cache_valid").replace(
        "# fastcgi_ignore_headers", "fastcgi_ignore_headers")
    return f"""
        {shipped}
        location = /_gatehouse/check-cached {{{cached}
        }}
        location = /_c_check {{
            internal;
            fastcgi_pass_request_body off;
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:{c_socket};
        }}
        location = /_cp_check {{
            internal;
            fastcgi_pass_request_body off;
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:{c_plain_socket};
        }}
        location /static/ {{ alias {www}/; }}
        location /gate-c/ {{ auth_request /_c_check; alias {www}/; }}
        location /gate-cp/ {{ auth_request /_cp_check; alias {www}/; }}
        location /gate-gh/ {{ set $gatehouse_require ""; auth_request /_gatehouse/check; alias {www}/; }}
        location /gate-cached/ {{ set $gatehouse_require ""; auth_request /_gatehouse/check-cached; alias {www}/; }}
"""


def gatehouse_location(socket, prefix="/auth"):
    """nginx/gatehouse.conf as a site includes it, pointed at this run's two sockets, so the
    bench measures the shipped routing (POST /token to the login pool) and parameters."""
    conf = (ROOT / "nginx" / "gatehouse.conf").read_text()
    login = str(socket).replace(".sock", "-login.sock")
    return (conf.replace("/run/gatehouse/gatehouse-login.sock", login)
            .replace("/run/gatehouse/gatehouse.sock", str(socket)).replace("/auth", prefix))


@dataclass
class Target:
    name: str  # column label
    prefix: str  # URL prefix under nginx
    process: subprocess.Popen | None = None  # root of the processes whose CPU is counted
    skipped: str | None = None  # why it cannot run at all
    user_skipped: str | None = None  # why scenarios needing users cannot run
    token: str | None = None
    api_key: str | None = None
    refresh_token: str | None = None
    cookie: str | None = None

    @property
    def pid(self):
        return self.process.pid if self.process else None


class Bench:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
        # nginx workers run as nobody when the bench is root: they must reach the sockets.
        self.tmp.chmod(0o755)
        self.logdir = self.tmp / "logs"
        self.logdir.mkdir()
        self.procs = Processes(self.logdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.nginx = Target("nginx return 200", "/nginx")
        self.c = Target("C libfcgi", "/c")
        # The same responder closing each connection as Gatehouse's workers do (FastCGIWorker).
        self.c_plain = Target("C libfcgi, plain close", "/cp")
        self.gatehouse = Target("Gatehouse", "/auth")
        # (j): the same Gatehouse on a private PostgreSQL.
        self.gatehouse_pg = Target("Gatehouse PostgreSQL", "/authpg")
        # and again with database_freshness = notifications (its own database on that server).
        self.gatehouse_pgn = Target("Gatehouse PostgreSQL, notifications", "/authpgn")
        self.postgres = None
        self.pg_socket = None
        self.sqlite_path = self.tmp / "data" / "gatehouse.sqlite3"
        self.fastapi = Target("FastAPI", "/fastapi")
        self.rows = []
        self.tables = []  # (header, rows, footnotes) printed after the main table: (k), (l), (m)
        self.probes = Probes()
        self.notes = []
        self.user_add_error = None
        self.scripts = 0

    # ---- setup

    def start_c(self):
        build = self.tmp / "build"
        build.mkdir()
        binary = build / "cfcgi"
        subprocess.run(["cc", "-O2", "-o", str(binary), str(BENCH_DIR / "cfcgi.c"), "-lfcgi"], check=True)
        sock = self.tmp / "c.sock"
        self.c.process = self.procs.start("cfcgi", [str(binary), str(sock), str(WORKERS)])
        wait_for(lambda: unix_socket_accepts(sock), "C responder", self.c.process)
        plain = self.tmp / "cp.sock"
        self.c_plain.process = self.procs.start("cfcgi-plain", [str(binary), str(plain), str(WORKERS), "plain-close"])
        wait_for(lambda: unix_socket_accepts(plain), "C responder, plain close", self.c_plain.process)

    def start_fastapi(self):
        # A unix socket, like the FastCGI apps: uvicorn's own TCP socket with --workers > 1
        # lacks TCP_NODELAY, and its two-write responses then wait 40 ms for nginx's
        # delayed ACK on every keepalive request.
        env = dict(os.environ, BENCH_SECRET_KEY=SECRET)
        sock = self.tmp / "uvicorn.sock"
        argv = [PY, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "fastapi_app:app",
                "--uds", str(sock), "--workers", str(WORKERS),
                "--no-access-log", "--log-level", "warning"]
        self.fastapi.process = self.procs.start("uvicorn", argv, env=env)

        def all_workers_up():
            # With --workers > 1 uvicorn's supervisor has one child per worker.
            return unix_socket_accepts(sock) and (WORKERS == 1 or len(process_tree(self.fastapi.pid)) > WORKERS)

        wait_for(all_workers_up, "uvicorn", self.fastapi.process, timeout=60)

    def start_gatehouse_pg(self):
        try:
            self.postgres, url, self.pg_socket = start_postgresql(self.tmp, self.procs)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
            self.gatehouse_pg.skipped = self.gatehouse_pgn.skipped = f"skipped: PostgreSQL did not start: {error}"[:120]
            return
        self.start_gatehouse(self.gatehouse_pg, "ghpg", f"database = {url}\n")
        url_n = create_database(self.pg_socket, "benchn")
        self.start_gatehouse(self.gatehouse_pgn, "ghpgn", f"database = {url_n}\ndatabase_freshness = notifications\n")

    def start_gatehouse(self, target=None, name="gh", extra=""):
        target = target or self.gatehouse
        if not os.access(GH_BIN, os.X_OK):
            target.skipped = f"skipped: no gatehouse binary at {GH_BIN}"
            return
        data = self.tmp / ("data" if name == "gh" else f"{name}-data")
        data.mkdir()
        conf = self.tmp / f"{name}.conf"
        # The tutorial's password "secret" is shorter than Gatehouse's default minimum. A file
        # holding secret_key must be private. Refreshes in flight with one token share its
        # successor within the grace window: a minute covers wrk's overlapping requests.
        conf.write_text(f"data_dir = {data}\ndemo = true\nsecret_key = {SECRET}\npassword_min_length = 6\n"
                        "refresh_token_reuse_grace_seconds = 60\ncheck_cache_seconds = 60\n" + extra)
        conf.chmod(0o600)
        self.add_gatehouse_users(conf)
        sock = self.tmp / f"{name}.sock"
        argv = [GH_BIN, "serve", "--listen", f"unix:{sock}", "--workers", str(WORKERS),
                "--socket-mode", "0666", "--config", str(conf)]
        log_name = "gatehouse" if name == "gh" else f"gatehouse-{name}"
        target.process = self.procs.start(log_name, argv)
        try:
            wait_for(lambda: unix_socket_accepts(sock), "gatehouse serve", target.process)
            wait_for(lambda: len(process_tree(target.pid)) > WORKERS, "gatehouse workers", target.process, timeout=10)
        except RuntimeError as error:
            output = (self.logdir / f"{log_name}.log").read_text(errors="replace").strip().splitlines()
            target.skipped = f"skipped: {error}" + (f": {output[0].strip()[:100]}" if output else "")
            self.procs.stop(target.process)
            target.process = None

    def add_gatehouse_users(self, conf):
        users = [
            ("johndoe", "secret", ["--full-name", "John Doe", "--email", "johndoe@example.com",
                                   "--scopes", "me,items"]),
            ("alice", "secret2", ["--full-name", "Alice Chains", "--email", "alicechains@example.com",
                                  "--disabled"]),
        ]
        for name, password, options in users:
            result = subprocess.run(
                [GH_BIN, "user", "add", name, *options, "--password-stdin", "--config", str(conf)],
                input=password + "\n", capture_output=True, text=True,
            )
            if result.returncode != 0:
                lines = (result.stderr or result.stdout).strip().splitlines()
                message = lines[0] if lines else f"exit status {result.returncode}"
                # The login decides whether the user scenarios run (demo mode may seed users).
                self.notes.append(f"gatehouse user add {name}: {message}")
                if name == "johndoe":
                    self.user_add_error = message
                    return

    def www(self):
        www = self.tmp / "www"
        if not www.exists():
            www.mkdir()
            (www / "page.html").write_text("<p>a protected page</p>\n")
            os.chmod(self.tmp, 0o755)
            os.chmod(www, 0o755)
            os.chmod(www / "page.html", 0o644)
        return www

    def start_nginx(self):
        prefix = self.tmp / "nginx"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(
            user="user nobody nogroup;" if os.geteuid() == 0 else "",
            prefix=prefix, port=self.port, uvicorn_socket=self.tmp / "uvicorn.sock",
            c_socket=self.tmp / "c.sock", c_plain_socket=self.tmp / "cp.sock", gatehouse_location=gatehouse_location(self.tmp / "gh.sock"),
            gatehouse_pg_location=gatehouse_location(self.tmp / "ghpg.sock", "/authpg"),
            gatehouse_pgn_location=gatehouse_location(self.tmp / "ghpgn.sock", "/authpgn"),
            gate_locations=gate_locations(self.tmp / "gh.sock", self.tmp / "c.sock", self.tmp / "cp.sock", self.www()),
        ))
        argv = ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        self.nginx.process = self.procs.start("nginx", argv)
        wait_for(lambda: curl(self.base + "/nginx")[0] == 200, "nginx", self.nginx.process)

    def login(self, target, scope="me+items"):
        status, body = curl(self.base + target.prefix + "/token",
                            "-d", "username=johndoe", "-d", "password=secret", "-d", f"scope={scope}")
        try:
            token = json.loads(body)["access_token"] if status == 200 else None
        except (ValueError, KeyError, TypeError):
            token = None
        return (token, None) if token else (None, f"login answered {status}: {body[:100]}")

    def session_cookie(self):
        """The sign-in page's cookie, for the gate scenario (i)."""
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-d", "username=johndoe&password=secret",
                              self.base + "/auth/login"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.lower().startswith("set-cookie:"):
                return line.split(":", 1)[1].strip().split(";")[0]
        return None

    def refresh_token(self, target):
        status, body = curl(self.base + target.prefix + "/token",
                            "-d", "username=johndoe", "-d", "password=secret", "-d", "scope=me+offline_access")
        try:
            return json.loads(body).get("refresh_token") if status == 200 else None
        except (ValueError, TypeError):
            return None

    def setup(self):
        log(f"bench: temp dir {self.tmp}, nginx on 127.0.0.1:{self.port}, {WORKERS} workers per app")
        self.start_c()
        if any(selected(s.title) and not s.gatehouse_only for s in SCENARIOS):
            self.start_fastapi()
        else:
            self.fastapi.skipped = "skipped: not selected"
        self.start_gatehouse()
        if selected(STORE_TITLE):
            self.start_gatehouse_pg()
        else:
            self.gatehouse_pg.skipped = self.gatehouse_pgn.skipped = "skipped: not selected"
        self.start_nginx()
        for target in (self.gatehouse, self.fastapi, self.gatehouse_pg, self.gatehouse_pgn):
            if target.skipped or target.user_skipped:
                continue
            target.token, error = self.login(target)
            if error and target is self.gatehouse and self.user_add_error:
                missing = any(s in self.user_add_error for s in ("Unknown option", "Unexpected argument", "not written"))
                target.user_skipped = ("skipped: gatehouse user add not available" if missing
                                       else f"skipped: gatehouse user add failed: {self.user_add_error[:80]}")
            elif error:
                target.user_skipped = f"skipped: {error}"
        self.nginx.token = self.c.token = self.c_plain.token = self.gatehouse.token or self.fastapi.token
        if self.gatehouse.token:
            self.gatehouse.refresh_token = self.refresh_token(self.gatehouse)
            self.gatehouse.cookie = self.session_cookie()
            status, body = curl(self.base + "/auth/users/me/api-keys", "-H", "Authorization: Bearer " + self.gatehouse.token,
                                "-H", "Content-Type: application/json", "-d", '{"name":"bench","scopes":["me"]}')
            try:
                self.gatehouse.api_key = json.loads(body)["key"] if status == 201 else None
            except (ValueError, KeyError, TypeError):
                self.gatehouse.api_key = None
            if not self.gatehouse.api_key:
                self.notes.append(f"could not create an API key: {status} {body[:80]}")

    # ---- running wrk

    def wrk(self, url, method="GET", headers=None, body=None, connections=CONNECTIONS, duration=DURATION,
            timeout="10s", script_text=None):
        self.scripts += 1
        script = self.tmp / f"wrk-{self.scripts}.lua"
        script.write_text(script_text or wrk_script(method, headers or {}, body))
        argv = ["wrk", f"-t{min(THREADS, connections)}", f"-c{connections}", f"-d{duration}",
                "--timeout", timeout, "-s", str(script), url]
        return self.procs.start("wrk", argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def collect(self, process):
        out = self.procs.output(process)
        for line in out.decode(errors="replace").splitlines():
            if line.startswith("BENCH_RESULT "):
                return dict((k, float(v)) for k, v in (kv.split("=") for kv in line.split()[1:]))
        raise RuntimeError("wrk printed no result:\n" + out.decode(errors="replace"))

    def settle(self, target, timeout=30.0):
        """Waits until the target's processes are idle: logins queued by a finished wrk
        keep hashing after it exits and would be counted against the next measurement."""
        if not target.pid:
            return
        deadline = time.monotonic() + timeout
        last = tree_cpu_seconds(target.pid)
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = tree_cpu_seconds(target.pid)
            if now - last < 0.02:
                return
            last = now

    def measure(self, target, request, **wrk_options):
        self.settle(target)
        before = tree_cpu_seconds(target.pid) if target.pid else None
        if request.auth == "refresh":
            wrk_options["script_text"] = refresh_script(request.extra_headers, target.refresh_token or "")
        result = self.collect(self.wrk(self.base + target.prefix + request.path, request.method,
                                       request.headers(target), request.body, **wrk_options))
        if before is not None:
            result["cpu_seconds"] = tree_cpu_seconds(target.pid) - before
        return result

    # ---- scenarios

    def check(self, target, request):
        """The status one request gets, so a table of fast 502s is never mistaken for a result."""
        args = ["-X", request.method]
        for name, value in request.headers(target).items():
            args += ["-H", f"{name}: {value}"]
        if request.body is not None:
            args += ["--data-raw", request.body]
        if request.auth == "refresh":
            if not target.refresh_token:
                return 0, "no refresh token"
            # Spends it: the run continues from its successor.
            status, body = curl(self.base + target.prefix + request.path, *args,
                                "--data-raw", f"grant_type=refresh_token&refresh_token={target.refresh_token}")
            try:
                target.refresh_token = json.loads(body)["refresh_token"]
            except (ValueError, KeyError, TypeError):
                pass
            return status, body
        status, body = curl(self.base + target.prefix + request.path, *args)
        return status, body

    def skip_reason(self, target, request):
        if target.skipped:
            return target.skipped
        if request.needs_users and target in (self.gatehouse, self.fastapi) and target.user_skipped:
            return target.user_skipped
        return None

    def run_scenario(self, scenario):
        log(f"bench: {scenario.title}")
        baseline, rows = {}, []
        for target in scenario.targets(self):
            request = scenario.request
            reason = self.skip_reason(target, request)
            if reason:
                rows.append(Row(scenario.title, target.name, skipped=reason))
                continue
            status, body = self.check(target, request)
            expected = request.expect if target in (self.gatehouse, self.fastapi) else 200
            note = "" if status == expected else f"got {status}, expected {expected}: {body[:60]}"
            options = dict(connections=LOGIN_CONNECTIONS, duration=LOGIN_DURATION, timeout="30s") if scenario.login else {}
            if scenario.warm_up:
                self.collect(self.wrk(self.base + target.prefix + request.path, request.method, request.headers(target),
                                      request.body, duration="1s"))
            result = self.measure(target, request, **options)
            row = Row(scenario.title, target.name, result=result, note=note)
            if target in (self.nginx, self.c, self.c_plain):
                baseline[target.name] = row.rps
            rows.append(row)
        for row in rows:
            row.vs_nginx = ratio(row.rps, baseline.get(self.nginx.name))
            row.vs_c = ratio(row.rps, baseline.get(self.c.name))
            row.vs_c_plain = ratio(row.rps, baseline.get(self.c_plain.name))
        self.rows += rows

    def run_gate(self):
        """(i) a static file through nginx, bare and behind auth_request, as rows of one scenario."""
        title = GATE_TITLE
        log(f"bench: {title}")
        token = self.gatehouse.token
        cases = [
            ("nginx static file", "/static/page.html", {}, self.nginx),
            ("auth_request C libfcgi", "/gate-c/page.html", {}, self.c),
            ("auth_request C libfcgi, plain close", "/gate-cp/page.html", {}, self.c_plain),
            ("auth_request Gatehouse JWT", "/gate-gh/page.html", {"Authorization": f"Bearer {token}"}, self.gatehouse),
            ("auth_request Gatehouse cookie", "/gate-gh/page.html", {"Cookie": self.gatehouse.cookie or ""}, self.gatehouse),
            ("auth_request Gatehouse JWT, cached", "/gate-cached/page.html", {"Authorization": f"Bearer {token}"}, self.gatehouse),
        ]
        rows = []
        for label, path, headers, target in cases:
            if target.skipped or (target is self.gatehouse and not token):
                rows.append(Row(title, label, skipped=target.skipped or "skipped: no token"))
                continue
            self.settle(target)
            before = tree_cpu_seconds(target.pid) if target.pid else None
            result = self.collect(self.wrk(self.base + path, "GET", headers, None))
            if before is not None:
                result["cpu_seconds"] = tree_cpu_seconds(target.pid) - before
            status, _ = curl(self.base + path, *sum((["-H", f"{k}: {v}"] for k, v in headers.items()), []))
            rows.append(Row(title, label, result=result, note="" if status == 200 else f"got {status}"))
        static = rows[0].rps if rows and rows[0].result else None
        ceiling = rows[1].rps if len(rows) > 1 and rows[1].result else None
        plain_ceiling = rows[2].rps if len(rows) > 2 and rows[2].result else None
        for row in rows:
            row.vs_nginx = ratio(row.rps, static)
            row.vs_c = ratio(row.rps, ceiling)
            row.vs_c_plain = ratio(row.rps, plain_ceiling)
        self.rows += rows

    def run_under_logins(self, scenario, logins=LOGIN, what="logins"):
        """(e), (h): /users/me/ latency while a second wrk keeps the login endpoint busy,
        with right passwords (e) or wrong ones from one address (h)."""
        log(f"bench: {scenario.title}")
        for target in (self.gatehouse, self.fastapi):
            reason = self.skip_reason(target, ME)
            if reason:
                self.rows.append(Row(scenario.title, target.name, skipped=reason))
                continue
            url = self.base + target.prefix
            self.settle(target)
            load = self.wrk(url + logins.path, logins.method, logins.headers(target), logins.body,
                            connections=LOGIN_CONNECTIONS, duration=DURATION, timeout="30s")
            time.sleep(0.5)  # let the logins fill the workers first
            me = self.wrk(url + ME.path, ME.method, ME.headers(target), None)
            me_result = self.collect(me)
            load_result = self.collect(load)
            rate = load_result["requests"] / load_result["duration_us"] * 1e6
            self.rows.append(Row(scenario.title, target.name, result=me_result, note=f"meanwhile {rate:.1f} {what}/s"))

    def run_store(self):
        for target in (self.gatehouse, self.gatehouse_pg):
            if not target.skipped and target.token:
                target.refresh_token = self.refresh_token(target)
        login = dict(connections=LOGIN_CONNECTIONS, duration=LOGIN_DURATION, timeout="30s")
        run_store(self, [("GET /users/me/ JWT", ME, {"extra": [self.gatehouse_pgn]}), ("POST /token login", LOGIN, login),
                         ("POST /token refresh", REFRESH, {})], Row, ratio, log)

    def login_cost(self, target, count=5):
        """CPU seconds and wall seconds of one login, from `count` sequential logins."""
        self.settle(target)
        self.login(target)  # warm up
        cpu_before, wall_before = tree_cpu_seconds(target.pid), time.monotonic()
        for _ in range(count):
            _, error = self.login(target)
            if error:
                return None, None
        return ((tree_cpu_seconds(target.pid) - cpu_before) / count, (time.monotonic() - wall_before) / count)

    def warm_up(self):
        for target in (self.nginx, self.c, self.c_plain, self.gatehouse, self.fastapi):
            if not target.skipped:
                self.collect(self.wrk(self.base + target.prefix + "/health", duration="1s"))

    def run(self):
        self.setup()
        if any(selected(title) for title in WRK_TITLES):
            self.warm_up()
        # The wrong-password flood gets the address and the user banned: it runs last,
        # after the login costs are taken.
        for scenario in [s for s in SCENARIOS if not s.under_flood and selected(s.title)]:
            if scenario.under_logins:
                self.run_under_logins(scenario)
            else:
                self.run_scenario(scenario)
        if selected(CGI_TITLE):
            self.tables.append(run_cgi(self, GH_BIN, log))
        if selected(ALLOC_TITLE):
            self.tables.append(run_allocations(self, log))
        if selected(INSTR_TITLE):
            self.tables.append(run_instructions(self, log))
        if selected(GATE_TITLE):
            self.run_gate()
        if selected(STORE_TITLE):
            self.run_store()
        costs = {}
        for target in (self.gatehouse, self.fastapi):
            if selected(LOGIN_TITLE) and not self.skip_reason(target, LOGIN):
                costs[target.name] = self.login_cost(target)
        for scenario in [s for s in SCENARIOS if s.under_flood and selected(s.title)]:
            self.run_under_logins(scenario, logins=WRONG_LOGIN, what="wrong passwords")
        self.report(costs)

    # ---- the table

    def report(self, costs):
        header = ["scenario", "target", "req/s", "p50 ms", "p99 ms", "x nginx", "x C", "x C plain", "CPU us/req", "non-2xx",
                  "note"]
        print()
        print(f"Gatehouse bench: wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} (logins -c{LOGIN_CONNECTIONS} "
              f"-d{LOGIN_DURATION}), {WORKERS} workers per app, {CORES} cores, one run"
              + (f", only {','.join(sorted(ONLY))}" if ONLY else ""))
        if self.rows:
            print_table(header, [row.cells() for row in self.rows])
            print("x nginx / x C / x C plain: req/s as a share of nginx's return 200 / of the C libfcgi responder / of the"
                  " same responder closing each finished connection plainly, as Gatehouse does (libfcgi half-closes and waits"
                  " for the web server's close), same scenario, same run; in (i), of the bare static file / of the file"
                  " behind auth_request to either C responder.")
            print("CPU us/req: utime+stime of the target's own processes (nginx; cfcgi; gatehouse supervisor+workers;"
                  " uvicorn supervisor+workers) / requests.")
            print("(j): x C holds the ratio to the SQLite row of the same request; PostgreSQL's CPU includes its backends.")
        print()
        for target in (self.gatehouse, self.fastapi, self.c, self.c_plain):
            if target.pid:
                sizes = [(pid, memory_kib(pid)) for pid in process_tree(target.pid)]
                workers = sizes[1:] if len(sizes) > 1 else sizes
                text = ", ".join(f"pid {pid} {m[0] / 1024:.1f}/{m[1] / 1024:.1f}/{m[2] / 1024:.1f} MiB{helper_name(pid)}"
                                 for pid, m in workers if m)
                print(f"memory of {target.name} workers after the runs (RSS/PSS/private): {text}")
        for name, (cpu, wall) in costs.items():
            if cpu is None:
                print(f"logins {name}: could not measure")
                continue
            bound = CORES / cpu if cpu > 0 else float("inf")
            measured = next((r.rps for r in self.rows if r.scenario == LOGIN_TITLE and r.target == name and r.result), None)
            got = f"; measured {measured:.1f}/s = {measured / bound:.0%} of it" if measured else ""
            print(f"logins {name}: one login {cpu * 1e3:.0f} ms CPU, {wall * 1e3:.0f} ms wall (5 sequential); "
                  f"bound {CORES} cores / CPU = {bound:.1f} logins/s{got}")
        for note in self.notes:
            print(f"note: {note}")
        jwt = self.gatehouse_rps(JWT_TITLE)
        for title in (BASIC_TITLE, APIKEY_TITLE):
            rps = self.gatehouse_rps(title)
            if jwt and rps:
                print(f"{title}: {rps / jwt:.2f} x the JWT request's req/s")
        for header, rows, footnotes in self.tables:
            print()
            print_table(header, rows)
            for footnote in footnotes:
                print(footnote)

    def gatehouse_rps(self, title):
        return next((r.rps for r in self.rows if r.scenario == title and r.target == self.gatehouse.name and r.result), None)


def print_table(header, rows):
    """Columns as wide as their widest cell: the first two left-aligned, then right-aligned
    numbers, then a note. A row of three cells is a skipped one: its reason comes third."""
    table = [header] + rows
    widths = [max(len(r[i]) for r in table if len(r) > 3 or i < 2) for i in range(len(header) - 1)]
    for r in table:
        if len(r) == 3:
            print("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2]]))
        else:
            print("  ".join([c.ljust(widths[0]) if i == 0 else c.ljust(widths[1]) if i == 1 else
                             c.rjust(widths[i]) if i < len(widths) else c for i, c in enumerate(r)]).rstrip())


def ratio(value, base):
    return value / base if value and base else None


@dataclass
class Row:
    scenario: str
    target: str
    result: dict | None = None
    skipped: str | None = None
    note: str = ""
    vs_nginx: float | None = None
    vs_c: float | None = None
    vs_c_plain: float | None = None

    @property
    def rps(self):
        return self.result["requests"] / self.result["duration_us"] * 1e6 if self.result else None

    def cells(self):
        if self.skipped:
            return [self.scenario, self.target, self.skipped]
        r = self.result
        errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        note = self.note + (f" socket errors/timeouts {errors:.0f}" if errors else "")
        cpu = r.get("cpu_seconds")
        return [
            self.scenario, self.target, f"{self.rps:.0f}" if self.rps >= 100 else f"{self.rps:.1f}",
            f"{r['p50_us'] / 1e3:.2f}", f"{r['p99_us'] / 1e3:.2f}",
            f"{self.vs_nginx:.3f}" if self.vs_nginx else "-", f"{self.vs_c:.2f}" if self.vs_c else "-",
            f"{self.vs_c_plain:.2f}" if self.vs_c_plain else "-",
            f"{cpu / r['requests'] * 1e6:.0f}" if cpu is not None and r["requests"] else "-",
            f"{r['status_errors']:.0f}", note.strip(),
        ]


def main():
    unknown = ONLY - {letter(title) for title in TITLES}
    if unknown:
        letters = ", ".join(dict.fromkeys(letter(title) for title in TITLES))
        log(f"bench: BENCH_ONLY: no scenario {', '.join(sorted(unknown))} (there are {letters})")
        return 2
    bench = Bench()

    def interrupted(signum, _frame):
        log(f"bench: stopped by signal {signum}")
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    # Even when started in the background with SIGINT ignored, Ctrl-C / kill -INT cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        bench.run()
        return 0
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    finally:
        # Ctrl-C during cleanup must not leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        bench.procs.stop_all()
        bench.probes.remove()
        if os.environ.get("BENCH_KEEP"):
            log(f"bench: kept {bench.tmp}")
        else:
            shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
