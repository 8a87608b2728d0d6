"""The smallest MTA that offers `sendmail -t -i -f SENDER` (as msmtp or nullmailer do): it
reads one message on standard input, takes its recipients from the To, Cc and Bcc headers,
and relays it over SMTP to 127.0.0.1:PORT. Each call's arguments go to ARGS_LOG.

Usage: python sendmail_relay.py PORT ARGS_LOG -t -i -f SENDER
"""

import email
import email.policy
import json
import smtplib
import sys
from email.utils import getaddresses


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    with open(log, "a") as f:
        f.write(json.dumps(args) + "\n")
    if "-t" not in args or "-f" not in args:
        print("sendmail_relay: needs -t and -f", file=sys.stderr)
        sys.exit(64)
    sender = args[args.index("-f") + 1]
    raw = sys.stdin.buffer.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    recipients = [a for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", []))]
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail(sender, recipients, raw.replace(b"\n", b"\r\n"))


if __name__ == "__main__":
    main()
