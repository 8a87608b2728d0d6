"""schemathesis against Gatehouse's /openapi.json through nginx, every check, with one credential.

    python contract.py --base http://127.0.0.1:PORT/auth --kind bearer --secret TOKEN \
        --caller-id 3 --login root:rootpass --max-examples 15

Exits with schemathesis' status: 0 when no check failed. Run by ContractTests (bounded)
and by make soak (long, --max-time). What the checks cannot see from here is handled in
contract_hooks.py, each case with its reason; no check is excluded as a whole.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="Gatehouse's mount through nginx, e.g. http://127.0.0.1:8080/auth")
    parser.add_argument("--kind", required=True, choices=["bearer", "basic", "apikey"])
    parser.add_argument("--secret", required=True, help="the token, user:password, or the API key")
    parser.add_argument("--caller-id", required=True, type=int)
    parser.add_argument("--login", required=True, help="user:password of the caller")
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--max-time", type=int, help="seconds: repeat fuzzing and stateful runs until spent")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()

    schemathesis = Path(sys.executable).with_name("schemathesis")
    argv = [
        str(schemathesis), "run", args.base + "/openapi.json",
        "--checks", "all",
        "--max-examples", str(args.max_examples),
        # One thread: CPython 3.11 (Debian 12) can raise "SystemError: AST constructor recursion
        # depth mismatch" when schemathesis's worker threads build strategies at once.
        "--workers", "1",
        "--request-timeout", "30",
        # Shrinking replays a failure many times to minimise it: slow, and the first example is enough.
        "--no-shrink",
        "--suppress-health-check", "all",
        "--warnings", "off",
    ]
    if args.max_time:
        argv += ["--max-time", str(args.max_time)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    env = dict(os.environ)
    env.update({
        "SCHEMATHESIS_HOOKS": "contract_hooks",
        "PYTHONPATH": str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
        "CONTRACT_KIND": args.kind, "CONTRACT_SECRET": args.secret, "CONTRACT_BASE": args.base,
        "CONTRACT_CALLER_ID": str(args.caller_id), "CONTRACT_LOGIN": args.login,
        "NO_COLOR": "1",
    })
    # schemathesis keeps a cache (.schemathesis/) in its working folder: not in the repository.
    with tempfile.TemporaryDirectory(prefix="gatehouse-contract-") as scratch:
        return subprocess.run(argv, env=env, cwd=scratch).returncode


if __name__ == "__main__":
    sys.exit(main())
