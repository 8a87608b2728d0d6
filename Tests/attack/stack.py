"""A private nginx + Gatehouse for the long runs (make attack, make soak), in one temp folder.

    with Stack(workers=2) as s:
        s.base          # http://127.0.0.1:PORT, Gatehouse under /auth as nginx/gatehouse.conf ships
        s.token("johndoe", "secret", "me items")
        s.cli("user", "list")

Seeded like the integration tests' E2E: johndoe / secret (me, items), alice / secretalice
(disabled), root / rootpass (me) with the role admin (users:read, users:write, users:roles,
tokens:introspect). Every process is started here and stopped by PID (bench/procs.py).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from procs import Processes, curl, free_port, process_tree, unix_socket_accepts, wait_for  # noqa: E402

GH_BIN = os.environ.get("GH_BIN", str(ROOT / ".build" / "release" / "gatehouse"))
SECRET = "attack-battery-secret-key-0123456789abcdef0123456789"

NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
{gatehouse}
    }}
}}
"""

USERS = [
    ("johndoe", "secret", ["--scopes", "me,items", "--full-name", "John Doe", "--email", "johndoe@example.com"]),
    ("alice", "secretalice", ["--scopes", "me,items", "--full-name", "Alice Chains", "--disabled"]),
    ("root", "rootpass", ["--scopes", "me"]),
]


class Stack:
    def __init__(self, workers=2, settings=None):
        self.tmp = Path(tempfile.mkdtemp(prefix="gatehouse-stack-"))
        os.chmod(self.tmp, 0o755)  # nginx's workers (nobody) reach the sockets
        self.procs = Processes(self.tmp)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.conf = self.tmp / "gatehouse.conf"
        self.database = self.tmp / "data" / "gatehouse.sqlite3"
        values = {
            "data_dir": str(self.tmp / "data"), "demo": "true", "secret_key": SECRET, "password_min_length": "6",
            "argon2_memory_kib": "1024", "argon2_time_cost": "1", "argon2_parallelism": "1",
            "throttle_address_max_failures": "0", "throttle_user_max_failures": "0", "log_level": "warning",
        }
        values.update(settings or {})
        self.conf.write_text("".join(f"{k} = {v}\n" for k, v in values.items()))
        self.conf.chmod(0o600)
        self.gatehouse = None
        self.nginx = None

    def __enter__(self):
        # A run stopped with SIGTERM or Ctrl-C (even from a background job, where SIGINT starts
        # out ignored) still leaves through __exit__, which stops every process by PID.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_):
        self.stop()

    def cli(self, *args, stdin=""):
        result = subprocess.run([GH_BIN, *args, "--config", str(self.conf)], input=stdin, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"gatehouse {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def start(self):
        if not os.access(GH_BIN, os.X_OK):
            raise RuntimeError(f"no gatehouse binary at {GH_BIN}: run `swift build -c release` or set GH_BIN")
        self.cli("migrate")
        for name, password, options in USERS:
            self.cli("user", "add", name, *options, "--password-stdin", stdin=password + "\n")
        self.cli("role", "add", "admin", "--permissions", "users:read,users:write,users:roles,tokens:introspect")
        self.cli("user", "grant-role", "root", "admin")
        sock = self.tmp / "gh.sock"
        self.gatehouse = self.procs.start("gatehouse", [
            GH_BIN, "serve", "--listen", f"unix:{sock}", "--workers", str(self.workers),
            "--socket-mode", "0666", "--config", str(self.conf)])
        wait_for(lambda: unix_socket_accepts(sock), "gatehouse serve", self.gatehouse)
        wait_for(lambda: len(process_tree(self.gatehouse.pid)) > self.workers, "gatehouse workers", self.gatehouse)
        conf = (ROOT / "nginx" / "gatehouse.conf").read_text()
        conf = (conf.replace("/run/gatehouse/gatehouse-login.sock", str(self.tmp / "gh-login.sock"))
                .replace("/run/gatehouse/gatehouse.sock", str(sock)))
        prefix = self.tmp / "nginx"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(NGINX_CONF.format(
            user="user nobody nogroup;" if os.geteuid() == 0 else "", prefix=prefix, port=self.port, gatehouse=conf))
        self.nginx = self.procs.start("nginx", ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                                "-e", str(prefix / "error.log")])
        wait_for(lambda: curl(self.base + "/auth/health")[0] == 200, "nginx + gatehouse", self.nginx)

    def stop(self):
        self.procs.stop_all()
        if not os.environ.get("GH_TEST_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def token(self, user="johndoe", password="secret", scope="me items"):
        status, body = curl(self.base + "/auth/token", "--data-urlencode", f"username={user}",
                            "--data-urlencode", f"password={password}", "--data-urlencode", f"scope={scope}")
        if status != 200:
            raise RuntimeError(f"login {user}: {status} {body}")
        return json.loads(body)

    def api_key(self, user="johndoe", password="secret", scopes=("me", "items")):
        status, body = curl(self.base + "/auth/users/me/api-keys", "-u", f"{user}:{password}",
                            "-H", "Content-Type: application/json",
                            "-d", json.dumps({"name": "battery", "scopes": list(scopes)}))
        if status != 201:
            raise RuntimeError(f"api key for {user}: {status} {body}")
        return json.loads(body)["key"]

    def worker_pids(self):
        return [pid for pid in process_tree(self.gatehouse.pid)[1:]]
