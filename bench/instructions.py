"""(m) instructions per request, in process: one worker's request path without the FastCGI hop,
run by bench/hotpath (gatehouse-hotpath SCENARIO COUNT, built by `make hotpath` with the release
flags) under callgrind, counting only its measured loop (--toggle-collect='*measuredRequests*')
over BENCH_HOTPATH_REQUESTS requests. Instruction counts do not depend on the machine's load,
unlike timings. Beside them, heap allocations per request in the same process: perf stat with
(l)'s uprobes on libc's allocator, a run of ALLOC_REQUESTS requests minus a run of none (the
harness's own setup). Without valgrind, or when the harness does not build, the rows say why;
without perf or uprobes the allocations are "-"."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from allocations import ALLOCATORS, GROUP, PROBED, perf_counts
from scenarios import APIKEY_TITLE, BASIC_TITLE, JWT_TITLE

INSTR_TITLE = "(m) instructions per request, in process"
REQUESTS = max(1, int(os.environ.get("BENCH_HOTPATH_REQUESTS", "").strip() or 400))
ALLOC_REQUESTS = 10000
ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / ".build/release/gatehouse-hotpath"
TARGET = "gatehouse-hotpath"
# (label, the harness's scenario)
CASES = [
    ("(a) GET /health", "health"),
    (JWT_TITLE, "jwt"),
    ("(c) GET /users/me/ garbage token 401", "garbage"),
    (BASIC_TITLE, "basic"),
    (APIKEY_TITLE, "apikey"),
    ("(i) GET /check with the JWT", "check"),
    ("(i) GET /check with the session cookie", "cookie"),
]
# Swift seeds its hashing per process, which moves a count from one run to the next; seeded fixed,
# only the run's own token, key and cookie (random) move it, by up to ~100 instructions a request.
ENV = dict(os.environ, SWIFT_DETERMINISTIC_HASHING="1")


def run(bench, name, argv, timeout):
    """(exit status, stdout and stderr) of a command the bench stops if it is interrupted."""
    process = bench.procs.start(name, argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{name} did not finish in {timeout:.0f}s")
    finally:
        bench.procs.stop(process)
    output = out.decode(errors="replace")
    with open(bench.logdir / f"{name}.log", "a") as logfile:  # kept with BENCH_KEEP
        logfile.write(output)
    return process.returncode, output


def failure(output, status):
    """The harness's own complaint, else the first error line, else the last line, else the exit status."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("gatehouse-hotpath:")]
    errors = [line for line in lines if "error:" in line.lower()]
    return (said or errors or lines[-1:] or [f"exit status {status}"])[0]


def build(bench):
    """None once the harness is built, else why not. `make hotpath` without its deps step, which
    `make bench` has run already (and which would install packages)."""
    if not shutil.which("make"):
        return "make is not installed"
    argv = ["make", "-C", str(ROOT), "-s", "--no-print-directory", "-o", "deps", "hotpath"]
    try:
        status, output = run(bench, "hotpath-build", argv, timeout=3600)
    except (RuntimeError, OSError) as error:
        return f"make hotpath: {error}"
    if status != 0:
        return f"make hotpath failed: {failure(output, status)}"
    if not os.access(HARNESS, os.X_OK):
        return f"no harness at {HARNESS}"
    return None


def instructions(bench, scenario):
    """Instructions per request of `scenario` under callgrind."""
    out = bench.tmp / f"callgrind-{scenario}.out"
    argv = ["valgrind", "--tool=callgrind", "--toggle-collect=*measuredRequests*", f"--callgrind-out-file={out}",
            str(HARNESS), scenario, str(REQUESTS)]
    status, output = run(bench, f"callgrind-{scenario}", argv, timeout=300 + REQUESTS / 10)
    if status != 0:
        raise RuntimeError(failure(output, status))
    found = re.search(r"^==\d+== Collected : (\d+)\s*$", output, re.MULTILINE)
    if not found and out.exists():
        found = re.search(r"^(?:totals|summary): (\d+)", out.read_text(errors="replace"), re.MULTILINE)
    if not found:
        raise RuntimeError("callgrind printed no count")
    return int(found.group(1)) / REQUESTS


def harness_libc():
    """The libc the harness loads, from ldd."""
    listing = subprocess.run(["ldd", str(HARNESS)], capture_output=True, text=True).stdout
    found = re.search(r"^\s*libc\.so\.\d+ => (\S+)", listing, re.MULTILINE)
    return found.group(1) if found else None


def prepare_probes(bench):
    """None once (l)'s uprobes are defined on the harness's libc, else why the allocations are "-"."""
    if not shutil.which("perf"):
        return "perf is not installed"
    if os.geteuid() != 0:
        return "perf probe needs root"
    libc = harness_libc()
    if not libc:
        return "no libc in ldd's listing of the harness"
    return bench.probes.ensure(libc)


def allocation_calls(bench, scenario, count):
    """Calls to libc's allocators in one run of the harness, setup included."""
    out = bench.tmp / f"perf-{scenario}-{count}.csv"
    events = ",".join(f"{GROUP}:{name}" for name in PROBED)
    argv = ["perf", "stat", "-x,", "-o", str(out), "-e", events, "--", str(HARNESS), scenario, str(count)]
    status, output = run(bench, f"perf-{scenario}", argv, timeout=600)
    if status != 0 or f"{scenario}: {count} requests" not in output:
        raise RuntimeError(failure(output, status))
    counts = perf_counts(out)
    return sum(counts[name] for name in ALLOCATORS)


def allocations(bench, scenario):
    """Allocations per request: ALLOC_REQUESTS requests minus none, the setup's left out."""
    return (allocation_calls(bench, scenario, ALLOC_REQUESTS) - allocation_calls(bench, scenario, 0)) / ALLOC_REQUESTS


def run_instructions(bench, log):
    """(header, rows, footnotes) of the (m) table."""
    log(f"bench: {INSTR_TITLE}")
    header = [INSTR_TITLE, "target", f"instructions/req ({REQUESTS})", f"allocations/req ({ALLOC_REQUESTS})", "note"]
    reason = None if shutil.which("valgrind") else "valgrind is not installed"
    reason = reason or build(bench)
    if reason:
        return header, [[label, TARGET, f"skipped: {reason}"[:160]] for label, _ in CASES], []
    no_probes = prepare_probes(bench)
    rows = []
    for label, scenario in CASES:
        try:
            count = instructions(bench, scenario)
        except (RuntimeError, OSError) as error:
            rows.append([label, TARGET, f"skipped: {error}"[:160]])
            continue
        allocated, note = "-", ""
        if not no_probes:
            try:
                allocated = f"{allocations(bench, scenario):.1f}"
            except (RuntimeError, OSError) as error:
                note = f"allocations: {error}"[:120]
        rows.append([label, TARGET, f"{count:.0f}", allocated, note])
    footnotes = [
        f"(m): Gatehouse's own work for one request in one process (bench/hotpath: nginx's parameters as the FCGI_PARAMS "
        "stream carries them, RequestBuilder, the app, the answer framed as the records a worker writes), without the "
        "FastCGI hop: a worker adds its reads and writes (see (l)). Instructions: callgrind's count of the measured loop "
        f"(--toggle-collect='*measuredRequests*') / {REQUESTS} requests after one of the same; deterministic across "
        "runs on the same build, whatever the machine's load, unlike timings (Swift's hashing seeded fixed with "
        "SWIFT_DETERMINISTIC_HASHING=1; each run still signs its own token, key and cookie, whose places in the "
        "per-worker caches' tables can move a count by up to ~100 instructions a request, 0.3%). Allocations: malloc + calloc + realloc + posix_memalign + "
        f"aligned_alloc calls (uprobes on libc, perf stat) of a run of {ALLOC_REQUESTS} requests minus a run of none, "
        f"/ {ALLOC_REQUESTS}."]
    if no_probes:
        footnotes.append(f"(m): allocations not counted: {no_probes}"[:200])
    return header, rows, footnotes
