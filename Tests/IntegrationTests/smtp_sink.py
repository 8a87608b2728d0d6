"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1:PORT, each message it receives
written to FOLDER as N.eml (as received) and N.json (the envelope and what Python's email
package reads from it: headers, the plain-text and HTML parts). FOLDER/ready appears once it
listens. Runs until SIGTERM.

Usage: python smtp_sink.py PORT FOLDER [--auth USER:PASSWORD] [--starttls | --tls CERT KEY]
--auth: AUTH (PLAIN or LOGIN, allowed without TLS here) is required and only that pair is
accepted; each attempt is appended to FOLDER/auth.log as "ok USER" or "refused".
--starttls CERT KEY: STARTTLS offered and required before MAIL; --tls CERT KEY: TLS from the
first byte (smtps). Each message's record says whether it arrived encrypted ("tls").
"""

import email
import email.policy
import json
import os
import argparse
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = len([n for n in os.listdir(folder) if n.endswith(".eml")])
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "subject": str(message["Subject"]),
            "to": str(message["To"]),
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        }
        with open(os.path.join(self.folder, f"{n}.eml"), "wb") as f:
            f.write(raw)
        with open(os.path.join(self.folder, f"{n}.json.tmp"), "w") as f:
            json.dump(record, f)
        os.rename(os.path.join(self.folder, f"{n}.json.tmp"), os.path.join(self.folder, f"{n}.json"))
        return "250 Message accepted for delivery"


class Authenticator:
    def __init__(self, folder, pair):
        self.log = os.path.join(folder, "auth.log")
        self.user, self.password = pair.split(":", 1)

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        with open(self.log, "a") as f:
            f.write(f"ok {self.user}\n" if ok else "refused\n")
        return AuthResult(success=ok)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("folder")
    parser.add_argument("--auth")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    port, folder = args.port, args.folder
    options = {}
    if args.auth:
        options.update(authenticator=Authenticator(folder, args.auth), auth_required=True, auth_require_tls=False)
    for pair in (args.starttls, args.tls):
        if pair:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*pair)
            if pair is args.starttls:
                options.update(tls_context=context, require_starttls=True)
            else:
                options.update(ssl_context=context)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port, **options)
    controller.start()
    open(os.path.join(folder, "ready"), "w").close()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    os.remove(os.path.join(folder, "ready"))
    controller.stop()


if __name__ == "__main__":
    main()
