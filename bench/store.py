"""(j) the store: the JWT request, logins and refreshes with Gatehouse on SQLite and on
PostgreSQL (a private server started here, stopped by PID), then /users/me/ again once
each store holds a million users. CPU per request counts the database's processes too
(SQLite runs inside the workers; PostgreSQL's backends are processes of their own).
PostgreSQL runs with synchronous_commit = off, as SQLite's WAL with synchronous = NORMAL
does not sync on each commit either."""

import os
import pwd
import subprocess
from pathlib import Path

from procs import tree_cpu_seconds, wait_for

STORE_TITLE = "(j) store"
MILLION = int(os.environ.get("BENCH_STORE_USERS", "1000000"))
FIXED_HASH = "$argon2id$v=19$m=1024,t=1,p=1$Y2/dvbg59yg$D0mTHBqdNGlyEjfjj3Y4PA"


def pg_binary(name):
    root = Path("/usr/lib/postgresql")
    versions = sorted((int(p.name) for p in root.iterdir() if p.name.isdigit()), reverse=True) if root.exists() else []
    return str(root / str(versions[0]) / "bin" / name) if versions else name


def as_server_user(argv):
    """PostgreSQL refuses root: as root, run as postgres (setpriv execs: the PID is the server's)."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv


def start_postgresql(tmp, procs):
    """initdb into tmp/pg, a socket in tmp/pg (no TCP); returns (process, connection string)."""
    data = tmp / "pg" / "data"
    data.parent.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(data.parent, account.pw_uid, account.pw_gid)
    subprocess.run(as_server_user([pg_binary("initdb"), "-D", str(data), "-U", "gatehouse", "-A", "trust", "-E", "UTF8",
                                   "--locale=C", "--no-sync"]), check=True, capture_output=True)
    argv = as_server_user([pg_binary("postgres"), "-D", str(data), "-k", str(data.parent), "-c", "listen_addresses=",
                           "-c", "synchronous_commit=off", "-c", "max_connections=100", "-c", "shared_buffers=256MB"])
    process = procs.start("postgres", argv)
    ready = lambda: subprocess.run([pg_binary("pg_isready"), "-q", "-h", str(data.parent), "-U", "gatehouse"]).returncode == 0
    wait_for(ready, "postgres", process, timeout=30)
    return process, create_database(data.parent, "bench"), data.parent


def create_database(socket_dir, name):
    """A database on the server of that socket folder; its connection string."""
    subprocess.run([pg_binary("createdb"), "-h", str(socket_dir), "-U", "gatehouse", name], check=True)
    return f"postgresql:///{name}?host={socket_dir}&user=gatehouse"


def psql(socket_dir, sql):
    subprocess.run([pg_binary("psql"), "-h", str(socket_dir), "-U", "gatehouse", "-d", "bench", "-XAtq",
                    "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def add_million_users(sqlite_path, pg_socket):
    """Rows straight into each store (an Argon2 hash apiece would take hours), like an import."""
    values = (f"SELECT 'user' || n, 'user' || n || '@example.com', '{FIXED_HASH}', 'me', 0, 0, 0 "
              f"FROM generate_series(1, {MILLION}) AS n")
    columns = "username, email, password_hash, scopes, created_at, updated_at, password_changed_at"
    sqlite_sql = (f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {MILLION}) "
                  f"INSERT INTO users ({columns}) SELECT 'user' || n, 'user' || n || '@example.com', "
                  f"'{FIXED_HASH}', 'me', 0, 0, 0 FROM g;")
    subprocess.run(["sqlite3", str(sqlite_path), sqlite_sql], check=True, capture_output=True)
    psql(pg_socket, f"INSERT INTO users ({columns}) {values}; ANALYZE users;")


def run_store(bench, scenarios, Row, ratio, log):
    """Rows of (j): each (label, request) against SQLite and PostgreSQL; `x C` holds the ratio
    to the SQLite row of the same request. (Row, ratio and log are bench.py's.)"""
    pg = bench.gatehouse_pg
    if bench.gatehouse.skipped or pg.skipped or not bench.gatehouse.token or not pg.token:
        bench.rows.append(Row(STORE_TITLE, "Gatehouse PostgreSQL", skipped=pg.skipped or "skipped: no token"))
        return

    def measure(label, request, target, **options):
        bench.settle(target)
        roots = [target.pid] + ([bench.postgres.pid] if target is not bench.gatehouse else [])
        before = sum(tree_cpu_seconds(pid) for pid in roots)
        status, body = bench.check(target, request)
        result = bench.measure(target, request, **options)
        result["cpu_seconds"] = sum(tree_cpu_seconds(pid) for pid in roots) - before
        expected = request.expect
        note = "" if status == expected else f"got {status}, expected {expected}: {body[:60]}"
        name = "SQLite" if target is bench.gatehouse else target.name.removeprefix("Gatehouse ")
        return Row(f"{STORE_TITLE} {label}", name, result=result, note=note)

    def pair(label, request, extra=(), **options):
        """The SQLite row, the PostgreSQL row, then any `extra` PostgreSQL variants that run."""
        targets = [bench.gatehouse, pg] + [t for t in extra if not t.skipped and t.token]
        rows = [measure(label, request, target, **options) for target in targets]
        for row in rows:
            row.vs_c = ratio(row.rps, rows[0].rps)
        bench.rows += rows

    for label, request, options in scenarios:
        pair(label, request, **options)
    log(f"bench: {STORE_TITLE}: adding {MILLION} users to each store")
    add_million_users(bench.sqlite_path, bench.pg_socket)
    me = next(request for label, request, _ in scenarios if label.startswith("GET /users/me/"))
    pair(f"GET /users/me/ among {MILLION} users", me)
