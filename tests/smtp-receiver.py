#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd).

    smtp-receiver.py --dir DIR [--port PORT] [--auth USER:PASSWORD]

Listens on 127.0.0.1:PORT (0 picks a free port) and prints the port on
stdout once it accepts connections. Each message is stored as it arrived
(DIR/NNNNNN.eml, written to a temporary name and renamed), with its
envelope in DIR/NNNNNN.json: {"mail_from", "rcpt_tos", "auth_login"}.
With --auth, AUTH PLAIN or LOGIN with exactly those credentials is
required before MAIL FROM; it is allowed without TLS because the tests
talk over loopback. SIGTERM, SIGINT or the end of its standard input (the
test that started it exited, however it did) stops it.

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.directory = directory
        # Continue numbering after files left by an earlier run.
        taken = [int(name[:-4]) for name in os.listdir(directory)
                 if name.endswith(".eml") and name[:-4].isdigit()]
        self.counter = itertools.count(max(taken, default=0) + 1)

    def write(self, name, data):
        path = os.path.join(self.directory, name)
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        login = getattr(session.auth_data, "login", None)
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": login,
        }
        # The envelope first, so a reader that sees the .eml finds both.
        self.write("%06d.json" % n, json.dumps(meta).encode())
        self.write("%06d.eml" % n, envelope.original_content)
        return "250 OK stored as %06d" % n


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user
              and auth_data.password == self.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth", help="USER:PASSWORD required by AUTH")
    args = parser.parse_args()

    # AUTH without TLS is the point here: keep aiosmtpd quiet about it.
    warnings.filterwarnings("ignore", module="aiosmtpd")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    os.makedirs(args.dir, exist_ok=True)
    store = Store(args.dir)
    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")
        authenticator = Authenticator(user, password)

    def factory():
        return SMTP(store,
                    hostname="receiver.test",
                    authenticator=authenticator,
                    auth_required=authenticator is not None,
                    auth_require_tls=False,
                    enable_SMTPUTF8=True,
                    decode_data=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host="127.0.0.1", port=args.port,
                           reuse_address=True))
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)

    def stdin_readable():
        if not os.read(sys.stdin.fileno(), 4096):
            loop.stop()
    loop.add_reader(sys.stdin.fileno(), stdin_readable)
    loop.run_forever()
    # Open client connections are simply dropped with the process.
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
