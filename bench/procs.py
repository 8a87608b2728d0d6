"""Processes the bench starts, and what /proc says about them (CPU ticks, RSS, descendants)."""

import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    """(ppid, utime+stime ticks, start time) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def process_tree(root):
    """The root pid and all its descendants, root first."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat:
                children.setdefault(stat[0], []).append(int(entry))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue.extend(sorted(children.get(pid, [])))
    return tree


def tree_cpu_seconds(root):
    total = 0
    for pid in process_tree(root):
        stat = proc_stat(pid)
        if stat:
            total += stat[1]
    return total / CLK_TCK


def helper_name(pid):
    """A label for a descendant that is not a worker (multiprocessing's resource tracker)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return " [resource tracker]" if b"resource_tracker" in f.read() else ""
    except FileNotFoundError:
        return ""


def memory_kib(pid):
    """(RSS, PSS, private) in KiB from smaps_rollup: RSS counts every shared library page the
    process touched; PSS splits shared pages among the processes that map them; private is
    what this process alone costs."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    fields[parts[0].rstrip(":")] = int(parts[1])
    except (FileNotFoundError, PermissionError):
        return None
    return fields.get("Rss"), fields.get("Pss"), fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


class Processes:
    """Every process the bench starts, each stopped by PID (with its descendants) at exit."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.started = []  # (name, Popen)

    def start(self, name, argv, **kwargs):
        logfile = open(self.logdir / f"{name}.log", "ab")
        kwargs.setdefault("stdout", logfile)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        # Own session: a Ctrl-C at the terminal reaches only the bench, which then stops these in order.
        process = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self.started.append((name, process))
        return process

    def output(self, process):
        """The stdout of a process started with stdout=PIPE, once it exits; it is then
        no longer one to stop."""
        out, _ = process.communicate()
        self.started = [(n, p) for n, p in self.started if p is not process]
        return out

    def stop(self, process, timeout=5.0):
        # Remember the descendants with their start times before the parent goes, so a
        # recycled PID is never signalled.
        family = [(pid, proc_stat(pid)) for pid in process_tree(process.pid)[1:]]
        family = [(pid, stat[2]) for pid, stat in family if stat]
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Orphaned descendants (a worker that outlived its supervisor): TERM, then KILL.
        alive = lambda pid, started: (proc_stat(pid) or (0, 0, None))[2] == started
        for pid, started in family:
            if alive(pid, started):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(alive(*member) for member in family) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid, started in family:
            if alive(pid, started):
                os.kill(pid, signal.SIGKILL)
        self.started = [(n, p) for n, p in self.started if p is not process]

    def stop_all(self):
        for _, process in reversed(list(self.started)):
            try:
                self.stop(process)
            except (ProcessLookupError, PermissionError):
                pass


# ---------------------------------------------------------------- waiting and HTTP


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what, process=None, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: exited with status {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f}s")


def unix_socket_accepts(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        return True


def curl(url, *args):
    """(status, body) of one request."""
    out = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30", *args, url],
        capture_output=True, text=True,
    ).stdout
    body, _, status = out.rpartition("\n")
    return int(status or 0), body
