"""make soak: SOAK_MINUTES (default 30) of mixed load through a private nginx + Gatehouse, then
the contract run (schemathesis) long. Not part of make test.

The load, from SOAK_CLIENTS threads (default 4): JWT, HTTP Basic and API key reads, /check,
logins (each with a refresh token), refreshes, logouts and an administrator's writes. Every
SOAK_SAMPLE seconds one CSV row: time, req/s, RSS and open files of each worker and of the
master, the database size (file + WAL), and the 5xx and other non-2xx counts so far. At the
end a PNG plot of the curves, and the verdict (exit 1 when one fails):
  - no 5xx at all;
  - each worker's RSS grows less than 1 MiB from the end of warm-up (the first fifth) to the end;
  - no worker's open file count grows;
  - the database grows by a bounded amount per login (reported; sessions and audit rows are
    pruned after audit_retention_days, which a run this short never reaches).

    python Tests/soak/soak.py [--minutes 30] [--out .build/soak] [--contract-seconds 300]
"""

import argparse
import base64
import csv
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "attack"))
from stack import Stack  # noqa: E402

ADMIN_SCOPES = "me users:read users:write users:roles tokens:introspect"


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def open_files(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except FileNotFoundError:
        return None


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.server_errors = 0
        self.other_errors = 0
        self.logins = 0
        self.examples = {}

    def record(self, what, status):
        with self.lock:
            self.requests += 1
            if status >= 500:
                self.server_errors += 1
                self.examples.setdefault(what, status)
            elif status >= 400:
                self.other_errors += 1
                self.examples.setdefault(what, status)


def client_loop(s, counters, stop, seed, key, victim_id, basic_user):
    rng = random.Random(seed)
    admin_auth = {"Authorization": "Basic " + base64.b64encode(b"root:rootpass").decode()}
    with httpx.Client(base_url=s.base + "/auth", timeout=30) as http:
        def call(what, method, path, **kwargs):
            try:
                r = http.request(method, path, **kwargs)
            except httpx.HTTPError:
                counters.record(what, 599)
                return None
            counters.record(what, r.status_code)
            return r

        def login():
            r = call("login", "POST", "/token", data={"username": "johndoe", "password": "secret",
                                                      "scope": "me items offline_access"})
            with counters.lock:
                counters.logins += 1
            return r.json() if r is not None and r.status_code == 200 else None

        session = login()
        basic = {"Authorization": "Basic " + base64.b64encode(basic_user.encode()).decode()}
        while not stop.is_set():
            if session is None:
                session = login()
                continue
            bearer = {"Authorization": "Bearer " + session["access_token"]}
            roll = rng.random()
            if roll < 0.40:
                call("jwt", "GET", "/users/me/", headers=bearer)
            elif roll < 0.55:
                call("basic", "GET", "/users/me/", headers=basic)
            elif roll < 0.70:
                call("apikey", "GET", "/users/me/", headers={"X-API-Key": key})
            elif roll < 0.80:
                call("check", "GET", "/check", params={"scope": "me"}, headers=bearer)
            elif roll < 0.86:
                r = call("refresh", "POST", "/token", data={"grant_type": "refresh_token",
                                                            "refresh_token": session["refresh_token"]})
                session = r.json() if r is not None and r.status_code == 200 else None
            elif roll < 0.90:
                call("logout", "POST", "/logout", headers=bearer)
                session = login()
            elif roll < 0.95:
                session = login()
            else:
                call("admin write", "PATCH", f"/users/{victim_id}", headers={**admin_auth, "Content-Type": "application/json"},
                     content=json.dumps({"full_name": f"Soak {rng.randrange(1000)}"}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "30")))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("SOAK_CLIENTS", "4")))
    parser.add_argument("--sample", type=float, default=float(os.environ.get("SOAK_SAMPLE", "10")))
    parser.add_argument("--out", default=str(ROOT / ".build" / "soak"))
    parser.add_argument("--contract-seconds", type=int, default=int(os.environ.get("SOAK_CONTRACT_SECONDS", "300")),
                        help="schemathesis --max-time for each credential after the load (0: skip)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Two hash slots, as ContractTests has: wrong Basic passwords from the load's clients and
    # the contract run can meet, and a hash beyond the slots is answered 503 by design.
    with Stack(workers=2, settings={"refresh_tokens": "offline_access", "max_concurrent_hashes": "2"}) as s:
        key = s.api_key()
        s.cli("user", "add", "soakvictim", "--scopes", "me", "--password-stdin", stdin="soakvictim\n")
        s.cli("user", "add", "soakbasic", "--scopes", "me", "--password-stdin", stdin="soakbasic\n")
        victim_id = next(u["id"] for u in json.loads(subprocess.run(
            ["curl", "-s", "-u", "root:rootpass", s.base + "/auth/users/?limit=100"], capture_output=True, text=True).stdout)
            if u["username"] == "soakvictim")
        counters = Counters()
        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(s, counters, stop, i, key, victim_id, "soakbasic:soakbasic"),
                                    daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()

        rows = []
        fields = ["seconds", "rps", "db_bytes", "logins", "errors_5xx", "errors_other", "master_rss_kib", "master_fds"]
        workers = s.worker_pids()
        for i, pid in enumerate(workers):
            fields += [f"worker{i}_pid", f"worker{i}_rss_kib", f"worker{i}_fds"]
        started = time.monotonic()
        last_requests, last_time = 0, started
        csv_path = out / "soak.csv"
        with open(csv_path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(fields)
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(args.sample)
                now = time.monotonic()
                with counters.lock:
                    requests, e5, eo, logins = counters.requests, counters.server_errors, counters.other_errors, counters.logins
                db = sum(p.stat().st_size for p in s.database.parent.glob(s.database.name + "*") if p.exists())
                row = [round(now - started, 1), round((requests - last_requests) / (now - last_time), 1), db, logins, e5, eo,
                       rss_kib(s.gatehouse.pid), open_files(s.gatehouse.pid)]
                for pid in workers:
                    row += [pid, rss_kib(pid), open_files(pid)]
                last_requests, last_time = requests, now
                writer.writerow(row)
                f.flush()
                rows.append(dict(zip(fields, row)))
                print(" ".join(f"{k}={v}" for k, v in zip(fields, row) if "pid" not in k), flush=True)
        stop.set()
        for t in threads:
            t.join(60)
        replaced = sorted(set(s.worker_pids()) ^ set(workers))
        examples = dict(counters.examples)

        contract = {}
        if args.contract_seconds > 0:
            admin = s.token("root", "rootpass", ADMIN_SCOPES)["access_token"]
            admin_key = s.api_key("root", "rootpass", ADMIN_SCOPES.split())
            root_id = next(u["id"] for u in json.loads(subprocess.run(
                ["curl", "-s", "-u", "root:rootpass", s.base + "/auth/users/?limit=100"], capture_output=True,
                text=True).stdout) if u["username"] == "root")
            for kind, secret in [("bearer", admin), ("basic", "root:rootpass"), ("apikey", admin_key)]:
                run = subprocess.run([sys.executable, str(ROOT / "Tests" / "attack" / "contract.py"), "--base", s.base + "/auth",
                                      "--kind", kind, "--secret", secret, "--caller-id", str(root_id), "--login", "root:rootpass",
                                      "--max-examples", "1000", "--max-time", str(args.contract_seconds)],
                                     capture_output=True, text=True)
                (out / f"contract-{kind}.log").write_text(run.stdout + run.stderr)
                summary = [line for line in run.stdout.splitlines() if line.startswith("=") and " in " in line]
                contract[kind] = (run.returncode, summary[-1].strip("= ") if summary else "no summary")

    verdicts = judge(rows, workers, replaced, examples)
    plot(rows, workers, out / "soak.png")
    print()
    print(f"{args.minutes:g} minutes, {args.clients} clients: {rows[-1]['logins'] if rows else 0} logins, "
          f"mean {sum(r['rps'] for r in rows) / max(1, len(rows)):.0f} req/s; CSV {csv_path}, plot {out / 'soak.png'}")
    for kind, (code, summary) in contract.items():
        verdicts.append((code == 0, f"schemathesis {kind} for {args.contract_seconds} s: {summary}"))
    for ok, line in verdicts:
        print(("ok   " if ok else "FAIL ") + line)
    return 0 if all(ok for ok, _ in verdicts) else 1


def judge(rows, workers, replaced, examples):
    if not rows:
        return [(False, "no samples")]
    warm = rows[max(0, len(rows) // 5 - 1)]
    last = rows[-1]
    verdicts = [(last["errors_5xx"] == 0, f"5xx: {last['errors_5xx']}; other non-2xx: {last['errors_other']} {examples}"),
                (not replaced, f"workers replaced during the run: {replaced or 'none'}")]
    for i, _ in enumerate(workers):
        grew = (last[f"worker{i}_rss_kib"] or 0) - (warm[f"worker{i}_rss_kib"] or 0)
        verdicts.append((grew < 1024, f"worker {i} RSS {warm[f'worker{i}_rss_kib']} -> {last[f'worker{i}_rss_kib']} KiB "
                                      f"after warm-up ({grew:+d} KiB, limit 1024)"))
        # A connection being served is one descriptor more: compare the floor at the end with the warm-up's peak.
        warm_peak = max(r[f"worker{i}_fds"] or 0 for r in rows[:max(1, len(rows) // 5)])
        end_floor = min(r[f"worker{i}_fds"] or 0 for r in rows[-max(1, len(rows) // 5):])
        verdicts.append((end_floor <= warm_peak, f"worker {i} open files: at most {warm_peak} in warm-up, "
                                                 f"at least {end_floor} at the end"))
    logins = max(1, last["logins"] - warm["logins"])
    per_login = (last["db_bytes"] - warm["db_bytes"]) / logins
    verdicts.append((True, f"database {warm['db_bytes']} -> {last['db_bytes']} bytes after warm-up: "
                           f"{per_login:.0f} bytes per login (sessions, refresh tokens, audit rows), pruned after "
                           "audit_retention_days"))
    return verdicts


def plot(rows, workers, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot")
        return
    if not rows:
        return
    t = [r["seconds"] / 60 for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    axes[0].plot(t, [r["rps"] for r in rows])
    axes[0].set_ylabel("req/s")
    for i, _ in enumerate(workers):
        axes[1].plot(t, [(r[f"worker{i}_rss_kib"] or 0) / 1024 for r in rows], label=f"worker {i}")
    axes[1].plot(t, [(r["master_rss_kib"] or 0) / 1024 for r in rows], label="master")
    axes[1].set_ylabel("RSS MiB")
    axes[1].legend()
    axes[2].plot(t, [r["db_bytes"] / 1024 for r in rows])
    axes[2].set_ylabel("database KiB")
    axes[2].set_xlabel("minutes")
    fig.suptitle("Gatehouse soak through nginx")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


if __name__ == "__main__":
    sys.exit(main())
