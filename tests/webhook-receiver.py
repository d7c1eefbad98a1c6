#!/usr/bin/python3
"""webhook-receiver.py: a webhook endpoint for the tests (standard library only).

    webhook-receiver.py LOG SECRETS STATUS [PORT]

Listens on 127.0.0.1:PORT (0 or none: a free port) and prints the port on
the first line of its output. Every POST is checked as docs/webhooks.md
tells receivers to: the Everato-Signature header "t=…,v1=…" must hold an
HMAC-SHA256, keyed with one of the secrets in the file SECRETS (one a line,
read at every request), of "t.body", and t must be within five minutes.
It answers 200 to a good one and 400 to a bad signature, unless the file
STATUS exists: then it answers the status written in it (the endpoint "is
down"). Each request is one JSON line appended to LOG: id, type, body (the
raw text), signature_ok, answered.

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG, SECRETS, STATUS = sys.argv[1], sys.argv[2], sys.argv[3]
PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
TOLERANCE = 300
lock = threading.Lock()


def secrets():
    try:
        with open(SECRETS, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def verify(header, body):
    """The check every receiver should make (docs/webhooks.md)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        return False
    if abs(time.time() - int(parts["t"])) > TOLERANCE:
        return False
    signed = parts["t"].encode() + b"." + body
    for secret in secrets():
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, parts["v1"]):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        ok = verify(self.headers.get("Everato-Signature", ""), body)
        try:
            with open(STATUS, encoding="utf-8") as f:
                answer = int(f.read().strip() or "503")
        except FileNotFoundError:
            answer = 200 if ok else 400
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {}
        record = {"id": parsed.get("id"), "type": parsed.get("type"),
                  "header_id": self.headers.get("Everato-Event-Id"),
                  "body": body.decode("utf-8", "replace"),
                  "signature_ok": ok, "answered": answer}
        with lock, open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        reply = b'{"received": true}' if answer < 300 else b'{"error": "not now"}'
        self.send_response(answer)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    # Ends with the test: when its stdin closes.
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
