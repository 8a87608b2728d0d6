"""(l) heap allocations per request: how often Gatehouse's workers call libc's allocator for
one request of (a), (b), (c), (f) and the auth_request gate of (i). Uprobes on libc's
malloc, calloc, realloc, posix_memalign, aligned_alloc and free (perf probe), counted by
perf stat on the workers while BENCH_ALLOC_REQUESTS requests go one after another through
nginx on one keep-alive connection, after a warm-up of the same request (the per-worker
caches full: the steady state). Without perf or uprobes the rows say why."""

import http.client
import os
import re
import select
import shutil
import signal
import subprocess
import time

from procs import process_tree
from scenarios import APIKEY_TITLE, BASIC_TITLE, EXTRA_SCENARIOS, GARBAGE, HEALTH, JWT_TITLE, ME

ALLOC_TITLE = "(l) heap allocations per request"
REQUESTS = int(os.environ.get("BENCH_ALLOC_REQUESTS", "").strip() or 2000)
WARM_UP = 200
ALLOCATORS = ("malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc")
PROBED = ALLOCATORS + ("free",)
GROUP = "probe_libc"  # the group perf probe names libc's probes after


def first_line(text):
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def libc_path(pid):
    """The libc file a process has mapped, from /proc/PID/maps."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and re.fullmatch(r"libc(\.so\.\d+|-[\d.]+\.so)", os.path.basename(fields[5].strip())):
                return fields[5].strip()
    return None


def defined_probes():
    """{function: file} of the probe_libc uprobes already defined, from perf probe -l."""
    listing = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    found = (re.match(rf"\s*{GROUP}:(\w+)\s+\(on .* in (\S+?)\)?$", line) for line in listing.splitlines())
    return {m.group(1): m.group(2) for m in found if m}


class Probes:
    """libc's allocator uprobes. Those already defined are used and kept; those added here
    are deleted by name at the end, so that nobody else's probe goes with them."""

    def __init__(self):
        self.added = []

    def ensure(self, libc):
        """None once every probe is defined on this libc, else why not."""
        defined = defined_probes()
        for name in PROBED:
            if name in defined:
                if os.path.realpath(defined[name]) != os.path.realpath(libc):
                    return f"{GROUP}:{name} is already defined on {defined[name]}"
                continue
            result = subprocess.run(["perf", "probe", "-q", "-x", libc, "-a", name], capture_output=True, text=True)
            if result.returncode != 0:
                return f"perf probe -x {libc} -a {name}: {first_line(result.stderr) or result.returncode}"
            self.added.append(name)
        return None

    def remove(self):
        if self.added:
            subprocess.run(["perf", "probe", "-q"] + [arg for name in self.added for arg in ("-d", f"{GROUP}:{name}")],
                           capture_output=True)
            self.added = []


def send(port, path, headers, expect, count):
    """`count` GETs one after another on one keep-alive connection (http.client reconnects when
    nginx closes it); {status: how many} of those that did not answer `expect`."""
    wrong = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(count):
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != expect:
                wrong[response.status] = wrong.get(response.status, 0) + 1
    finally:
        connection.close()
    return wrong


def command(perf, ctl, ack, word, logfile):
    """Sends enable/disable to perf stat's control fd and waits for its ack."""
    os.write(ctl, word.encode() + b"\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and perf.poll() is None:
        if select.select([ack], [], [], 0.1)[0]:
            if os.read(ack, 64).startswith(b"ack"):
                return
    said = [line for line in logfile.read_text(errors="replace").splitlines() if not line.startswith("Events ")]
    raise RuntimeError(f"perf stat did not acknowledge {word}" + (f": {said[0].strip()}" if said else ""))


def perf_counts(out):
    """{function: calls} from the CSV perf stat -x, wrote to `out`, one count for each probed function."""
    counts = {}
    for line in out.read_text().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith(GROUP + ":"):
            if not fields[0].isdigit():
                raise RuntimeError(f"perf stat: {fields[2]} {fields[0]}")
            counts[fields[2].split(":", 1)[1]] = int(fields[0])
    if set(counts) != set(PROBED):
        raise RuntimeError(f"perf stat counted {sorted(counts) or 'nothing'}")
    return counts


def counted(bench, pids, send_requests):
    """({function: calls}, send_requests's result): perf stat on `pids`, counting only while
    send_requests runs (started disabled, enabled and disabled through its control fd)."""
    out = bench.tmp / "perf-stat.csv"
    ctl_read, ctl = os.pipe()
    ack, ack_write = os.pipe()
    events = ",".join(f"{GROUP}:{name}" for name in PROBED)
    argv = ["perf", "stat", "-x,", "-o", str(out), "-e", events, "-p", ",".join(map(str, pids)),
            "--delay=-1", f"--control=fd:{ctl_read},{ack_write}"]
    perf = bench.procs.start("perf", argv, pass_fds=(ctl_read, ack_write))
    os.close(ctl_read)
    os.close(ack_write)
    try:
        command(perf, ctl, ack, "enable", bench.logdir / "perf.log")
        result = send_requests()
        command(perf, ctl, ack, "disable", bench.logdir / "perf.log")
        # perf stat -p prints its counts when interrupted.
        perf.send_signal(signal.SIGINT)
        perf.wait(10)
    finally:
        os.close(ctl)
        os.close(ack)
        bench.procs.stop(perf)
    return perf_counts(out), result


def measure(bench, path, headers, expect):
    """The cells after label and target of one row."""
    workers = set(process_tree(bench.gatehouse.pid)[1:])
    send(bench.port, path, headers, expect, WARM_UP)
    # Only workers that lived through the warm-up: a short-lived child (a mail pass) may be gone.
    pids = sorted(workers & set(process_tree(bench.gatehouse.pid)[1:]))
    counts, wrong = counted(bench, pids, lambda: send(bench.port, path, headers, expect, REQUESTS))
    allocations = sum(counts[name] for name in ALLOCATORS)
    called = [name for name in ALLOCATORS if counts[name]]
    shares = " ".join(f"{name} {counts[name] / REQUESTS:.1f}" for name in called) if len(called) > 1 else ""
    answered = "; ".join(f"{n} of {REQUESTS} answered {status}, expected {expect}" for status, n in wrong.items())
    return [f"{allocations / REQUESTS:.1f}", f"{counts['free'] / REQUESTS:.1f}", "; ".join(filter(None, [shares, answered]))]


def cases(bench):
    """(label, path under nginx, headers, expected status, why it cannot run)."""
    gatehouse = bench.gatehouse
    basic, apikey = (s.request for s in EXTRA_SCENARIOS if s.title in (BASIC_TITLE, APIKEY_TITLE))
    user_routes = [("(a) GET /health", HEALTH), (JWT_TITLE, ME), ("(c) GET /users/me/ garbage token 401", GARBAGE),
                   (BASIC_TITLE, basic), (APIKEY_TITLE, apikey)]
    rows = [(label, gatehouse.prefix + request.path, request.headers(gatehouse), request.expect,
             bench.skip_reason(gatehouse, request)) for label, request in user_routes]
    rows.append(("(i) auth_request Gatehouse JWT", "/gate-gh/page.html", {"Authorization": f"Bearer {gatehouse.token}"}, 200,
                 gatehouse.skipped or (None if gatehouse.token else "skipped: no token")))
    return rows


def prepare(bench):
    """Defines the probes; why nothing can be counted, or None."""
    if not shutil.which("perf"):
        return "skipped: perf is not installed"
    if os.geteuid() != 0:
        return "skipped: perf probe needs root"
    if bench.gatehouse.skipped:
        return bench.gatehouse.skipped
    workers = process_tree(bench.gatehouse.pid)[1:]
    libc = libc_path(workers[0]) if workers else None
    if not libc:
        return "skipped: no libc in the Gatehouse workers' maps"
    reason = bench.probes.ensure(libc)
    return f"skipped: {reason}"[:160] if reason else None


def run_allocations(bench, log):
    """(header, rows, footnotes) of the (l) table."""
    log(f"bench: {ALLOC_TITLE}")
    header = [ALLOC_TITLE, "target", "allocations/req", "free/req", "note"]
    reason = prepare(bench)
    rows = []
    for label, path, headers, expect, skipped in cases(bench):
        if reason or skipped:
            rows.append([label, "Gatehouse", reason or skipped])
            continue
        bench.settle(bench.gatehouse)
        try:
            rows.append([label, "Gatehouse"] + measure(bench, path, headers, expect))
        except (RuntimeError, OSError, http.client.HTTPException, subprocess.TimeoutExpired) as error:
            rows.append([label, "Gatehouse", f"skipped: {error}"[:160]])
    footnotes = [f"(l): calls in Gatehouse's workers (uprobes on libc, perf stat -p) / {REQUESTS} requests sent one after "
                 f"another through nginx after {WARM_UP} of the same; allocations = malloc + calloc + realloc + "
                 "posix_memalign + aligned_alloc (glibc's realloc(NULL) and small-alignment memalign enter malloc "
                 "and count twice), split in the note when more than one is called. The gate row counts only Gatehouse's /check."]
    return header, rows, footnotes
