"""(k) one CGI request: Gatehouse run as a plain CGI program, from process start to exit, as
a developer or a CGI-only site runs it, against the smallest C CGI program (ccgi.c). Each
program runs BENCH_CGI_RUNS times, one after another; the rows hold the medians.

cgitime.c spawns, times and reaps the runs, not the bench's Python: a child's ru_maxrss
includes the memory it was exec'd from, which for a child of the bench would be Python's."""

import os
import re
import statistics
import subprocess
from pathlib import Path

CGI_TITLE = "(k) one CGI request"
RUNS = int(os.environ.get("BENCH_CGI_RUNS", "").strip() or 20)
BENCH_DIR = Path(__file__).resolve().parent
OK_BODY = b'{"status":"ok"}'


def build(tmp):
    """ccgi and cgitime, compiled into tmp/build."""
    folder = tmp / "build"
    folder.mkdir(exist_ok=True)
    ccgi, cgitime = folder / "ccgi", folder / "cgitime"
    subprocess.run(["cc", "-O2", "-o", str(ccgi), str(BENCH_DIR / "ccgi.c")], check=True, capture_output=True)
    # Static, so that cgitime's own size, the floor of every run's peak RSS, stays below the C program's.
    subprocess.run(["cc", "-O2", "-static", "-o", str(cgitime), str(BENCH_DIR / "cgitime.c")],
                   check=True, capture_output=True)
    return ccgi, cgitime


def environment(conf, path, authorization=None):
    """The CGI variables of one GET and the configuration file, nothing of the bench's own environment."""
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "GATEHOUSE_CONFIG": str(conf)}
    if authorization:
        env["HTTP_AUTHORIZATION"] = authorization
    return env


def answer(output):
    """(status, body) of what a CGI program printed."""
    head, _, body = re.sub(rb"\r?\n\r?\n", b"\0", output, count=1).partition(b"\0")
    status = 200 if head else 0  # CGI: no Status header means 200
    for line in head.splitlines():
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"status" and value.split():
            status = int(value.split()[0])
    return status, body


def timed_runs(bench, cgitime, program, env):
    """([(wall ms, CPU ms, peak RSS MiB, wait status)] of RUNS runs, cgitime's own peak RSS MiB,
    the last run's stdout)."""
    output = bench.tmp / "cgi-output"
    with open(bench.logdir / "cgi.log", "ab") as log:
        process = bench.procs.start("cgitime", [str(cgitime), str(RUNS), str(output), str(program)], env=env,
                                    stdout=subprocess.PIPE, stderr=log)
        lines = bench.procs.output(process).decode().splitlines()
    if process.returncode != 0:
        raise RuntimeError(f"cgitime exited with status {process.returncode} (see cgi.log)")
    runs = []
    for line in lines[:-1]:
        wall_ns, cpu_us, rss_kib, status = map(int, line.split())
        runs.append((wall_ns / 1e6, cpu_us / 1e3, rss_kib / 1024, status))
    return runs, int(lines[-1].split()[1]) / 1024, output.read_bytes()


def check(output, status_codes, expect_body):
    """A note when a run exited non-zero or the last one's answer is not the expected one."""
    status, body = answer(output)
    failed = sum(code != 0 for code in status_codes)
    notes = [f"{failed} of {len(status_codes)} runs exited non-zero"] if failed else []
    if status != 200 or (expect_body is not None and body != expect_body):
        notes.append(f"got {status}: {body[:60].decode(errors='replace')}")
    return "; ".join(notes)


def run_cgi(bench, gh_bin, log):
    """(header, rows, footnotes) of the (k) table."""
    log(f"bench: {CGI_TITLE}")
    header = [CGI_TITLE, "target", f"wall ms (median of {RUNS})", "CPU ms", "peak RSS MiB", "x C wall", "note"]
    try:
        ccgi, cgitime = build(bench.tmp)
    except subprocess.CalledProcessError as error:
        reason = (error.stderr or b"").decode(errors="replace").strip().splitlines()
        return header, [["-", "C CGI", f"skipped: cannot compile: {reason[0] if reason else error}"[:120]]], []
    conf, gatehouse = bench.tmp / "gh.conf", bench.gatehouse
    token = f"Bearer {gatehouse.token}" if gatehouse.token else None
    cases = [("GET /health", "C CGI", ccgi, environment(conf, "/health"), OK_BODY, None),
             ("GET /health", "Gatehouse", gh_bin, environment(conf, "/health"), OK_BODY, gatehouse.skipped),
             ("GET /users/me/ valid token", "Gatehouse", gh_bin, environment(conf, "/users/me/", token), None,
              gatehouse.skipped or gatehouse.user_skipped or (None if token else "skipped: no token"))]
    rows, floors, c_wall = [], [], None
    for label, target, program, env, expect_body, skipped in cases:
        if skipped:
            rows.append([label, target, skipped])
            continue
        bench.settle(gatehouse)
        try:
            runs, floor, output = timed_runs(bench, cgitime, program, env)
        except (RuntimeError, ValueError, IndexError) as error:
            rows.append([label, target, f"skipped: {error}"])
            continue
        floors.append(floor)
        wall, cpu, rss = (statistics.median(run[i] for run in runs) for i in range(3))
        c_wall = wall if program == ccgi else c_wall
        rows.append([label, target, f"{wall:.2f}", f"{cpu:.2f}", f"{rss:.1f}",
                     f"{wall / c_wall:.2f}" if c_wall else "-", check(output, [run[3] for run in runs], expect_body)])
    footnotes = [f"(k): each program run {RUNS} times one after another (stdin /dev/null), timed from spawn to reap "
                 "by bench/cgitime.c; CPU = ru_utime + ru_stime, peak RSS = ru_maxrss"
                 + (f", whose floor is cgitime's own {max(floors):.1f} MiB" if floors else "")
                 + "; x C wall: wall time as a multiple of the C CGI's."]
    return header, rows, footnotes
