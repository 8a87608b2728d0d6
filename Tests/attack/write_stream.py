"""A stream of writes against Gatehouse through nginx for a fixed time, for the kill -9 test
(ProcessFaultTests): logins, refreshes, API key creations (HTTP) and user creations (the
command). One JSON line on standard output per write that succeeded (2xx, or exit 0), so the
test can check each one is in the database after a crash and a restart.

    python write_stream.py --base http://127.0.0.1:PORT/auth --gatehouse BIN --config FILE --seconds 4
"""

import argparse
import base64
import json
import subprocess
import sys
import time

import httpx


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def emit(**entry):
    print(json.dumps(entry), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--gatehouse", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()

    deadline = time.monotonic() + args.seconds
    failures = 0
    i = 0
    with httpx.Client(base_url=args.base, timeout=10) as client:
        while time.monotonic() < deadline:
            i += 1
            try:
                login = client.post("/token", data={"username": "johndoe", "password": "secret", "scope": "me"})
                if login.status_code == 200:
                    body = login.json()
                    emit(kind="session", id=claims(body["access_token"])["sid"])
                    refresh = client.post("/token", data={"grant_type": "refresh_token",
                                                          "refresh_token": body["refresh_token"]})
                    if refresh.status_code == 200:
                        emit(kind="refresh", session=claims(refresh.json()["access_token"])["sid"],
                             token=refresh.json()["refresh_token"])
                    else:
                        failures += 1
                    key = client.post("/users/me/api-keys", json={"name": f"stream{i}", "scopes": ["me"]},
                                      headers={"Authorization": "Bearer " + body["access_token"]})
                    if key.status_code == 201:
                        emit(kind="key", id=key.json()["id"], key=key.json()["key"])
                    else:
                        failures += 1
                else:
                    failures += 1
            except httpx.HTTPError:
                failures += 1
                time.sleep(0.05)
            name = f"stream{i}"
            made = subprocess.run([args.gatehouse, "user", "add", name, "--password-stdin", "--config", args.config],
                                  input="streampass\n", capture_output=True, text=True)
            if made.returncode == 0:
                emit(kind="user", name=name)
            else:
                failures += 1
    print(f"failures {failures}", file=sys.stderr)


if __name__ == "__main__":
    main()
