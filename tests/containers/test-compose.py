#!/usr/bin/env python3
"""The production compose stack (deploy/compose.production.yaml), for real.

Builds the server image from deploy/Dockerfile and brings the stack up with
Debian's docker-compose through podman's Docker-compatible socket (no
Docker daemon, no registry: the base image is made with debootstrap, and
the official postgres and caddy images, which no registry here serves, are
stood in for by images of Debian's packages with the same interface,
tests/containers/*/Dockerfile). Then, through Caddy's HTTPS with its own CA
(EVERATO_TLS=internal), checked against that CA:

  1. the site and the API answer; /metrics is not exposed (even with the
     token), plain HTTP is redirected;
  2. the replicas log the client's address from Caddy's X-Forwarded-For,
     not a forged one and not Caddy's own;
  3. an attendee registers, confirms by the link in the mail and books;
  4. one replica stopped: the other serves, bookings keep working;
  5. `docker-compose down` and `up` again: the data is still there.

Prints TAP. Needs root, podman, docker-compose and debootstrap (the
README's set-up installs them); skips without them. Settings:
EVERATO_CONTAINER_DIR keeps the image store between runs (default: a
temporary folder, removed at the end).
"""

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.environ.get("EVERATO_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "containers")
PROJECT = "everato-test-%d" % os.getpid()
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"
PASSWORD = "attendee password 123"

results = []


def log(message):
    print("# " + message.replace("\n", "\n# "), flush=True)


def tap_skip(why):
    print("1..0 # SKIP " + why, flush=True)
    sys.exit(0)


def run(args, *, env=None, input=None, check=True, timeout=1800, quiet=False):
    started = time.monotonic()
    proc = subprocess.run(args, env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)
    if not quiet:
        log("$ %s (%.0f s, exit %d)" % (" ".join(args[:6]), time.monotonic() - started,
                                         proc.returncode))
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(args), proc.returncode,
                                                      proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def debian_mirror():
    """The mirror apt uses here, for debootstrap."""
    for path in ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]:
        try:
            text = open(path).read()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if path.endswith(".sources") and line.startswith("URIs:") and len(words) > 1:
                return words[1]
            if len(words) > 2 and words[0] == "deb" and "security" not in words[1]:
                return words[2] if words[1].startswith("[") else words[1]
    return "http://deb.debian.org/debian"


class Stack:
    def __init__(self, work):
        self.work = work
        # A plain environment: the test suite's own (a private D-Bus
        # session, XDG_RUNTIME_DIR, malloc checks…) confuses podman and the
        # clean-up commands its containers run when they end.
        self.env = {key: os.environ[key] for key in ["PATH", "HOME", "LANG", "TERM"]
                    if key in os.environ}
        store = work
        # podman refuses a runroot of more than 50 characters (its clean-up
        # command fails, and a finished container never reads "exited"):
        # a short one, the same for the same store (podman remembers it).
        self.runroot = "/run/evc-" + hashlib.sha256(os.path.abspath(work).encode()).hexdigest()[:10]
        for d in ["graph", "tmp"]:
            os.makedirs(os.path.join(store, d), exist_ok=True)
        os.makedirs(self.runroot, exist_ok=True)
        with open(os.path.join(store, "storage.conf"), "w") as f:
            f.write('[storage]\ndriver="overlay"\nrunroot="%s"\ngraphroot="%s/graph"\n'
                    % (self.runroot, store))
        # crun cannot set the limits here; runc can, within root's hard limits.
        with open(os.path.join(store, "containers.conf"), "w") as f:
            f.write('[containers]\ndefault_ulimits=["nofile=20000:20000","nproc=32768:32768"]\n'
                    '[network]\nnetwork_config_dir="%s/networks"\n'
                    '[engine]\nruntime="runc"\ntmp_dir="%s/tmp"\n' % (store, store))
        os.makedirs(os.path.join(store, "networks"), exist_ok=True)
        self.env["CONTAINERS_STORAGE_CONF"] = os.path.join(store, "storage.conf")
        self.env["CONTAINERS_CONF"] = os.path.join(store, "containers.conf")
        self.socket = os.path.join(work, "podman.sock")
        self.env["DOCKER_HOST"] = "unix://" + self.socket
        self.env["COMPOSE_PROJECT_NAME"] = PROJECT
        self.env["COMPOSE_HTTP_TIMEOUT"] = "600"
        self.service = None
        self.ticker = None
        self.ticking = threading.Event()
        self.project = os.path.join(work, "project")
        self.net = os.getpid() % 200 + 20
        self.metrics_token = secrets.token_hex(16)

    # -------------------------------------------------------------- images --

    def podman(self, *args, **kw):
        return run(["podman", *args], env=self.env, **kw)

    def base_image(self):
        if self.podman("image", "exists", "docker.io/library/debian:bookworm-slim",
                       check=False, quiet=True).returncode == 0:
            return
        rootfs = os.path.join(self.work, "rootfs")
        shutil.rmtree(rootfs, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", "bookworm", rootfs, debian_mirror()],
            timeout=900)
        shutil.rmtree(os.path.join(rootfs, "var/lib/apt/lists"), ignore_errors=True)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["podman", "import", "--change", 'CMD ["bash"]', "-",
                        "docker.io/library/debian:bookworm-slim"],
                       stdin=tar.stdout, env=self.env, check=True, capture_output=True)
        tar.wait()
        shutil.rmtree(rootfs, ignore_errors=True)

    def stand_in_images(self):
        for name, tag in [("postgres", "docker.io/library/postgres:15-bookworm"),
                          ("caddy", "docker.io/library/caddy:2")]:
            self.podman("build", "-q", "-t", tag, os.path.join(HERE, name), timeout=600)

    # ------------------------------------------------------------- compose --

    def start_service(self):
        self.service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", "unix://" + self.socket],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket):
            if time.monotonic() > deadline:
                raise RuntimeError("podman system service did not open its socket")
            time.sleep(0.1)

    def write_project(self, https_port, http_port):
        """The shipped files, unchanged, and an .env as an operator writes it."""
        os.makedirs(os.path.join(self.project, "caddy"), exist_ok=True)
        shutil.copy(os.path.join(ROOT, "deploy", "compose.production.yaml"), self.project)
        shutil.copy(os.path.join(ROOT, "deploy", "caddy", "Caddyfile.compose"),
                    os.path.join(self.project, "caddy"))
        settings = {
            "EVERATO_SOURCE": ROOT,
            "EVERATO_SITE_ADDRESS": "localhost",
            "EVERATO_TLS": "internal",
            "EVERATO_PUBLIC_URL": "https://localhost:%d" % https_port,
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "EVERATO_MASTER_KEY": secrets.token_hex(32),
            "EVERATO_MAIL_FROM": "tickets@example.org",
            "EVERATO_HTTP_PORT": str(http_port),
            "EVERATO_HTTPS_PORT": str(https_port),
            "EVERATO_SUBNET": "172.29.%d.0/24" % self.net,
            "EVERATO_CONTAINER_RANGE": "172.29.%d.128/25" % self.net,
            "EVERATO_METRICS_TOKEN": self.metrics_token,
        }
        with open(os.path.join(self.project, ".env"), "w") as f:
            for key, value in settings.items():
                f.write("%s=%s\n" % (key, value))
        os.chmod(os.path.join(self.project, ".env"), 0o600)

    def compose(self, *args, timeout=1200):
        return run(["docker-compose", "-f", os.path.join(self.project, "compose.production.yaml"),
                    *args], env=self.env, timeout=timeout)

    def up(self, build=False):
        self.compose("up", "-d", *(["--build"] if build else []))

    def container(self, service):
        return "%s_%s_1" % (PROJECT, service)

    def tick_health_checks(self):
        """Docker runs health checks itself; podman leaves it to systemd
        timers, which a machine without systemd does not have: run them
        here, as often as the compose file asks (5 s)."""
        while not self.ticking.wait(2):
            names = self.podman("ps", "--format", "{{.Names}}", "--filter",
                                "label=com.docker.compose.project=" + PROJECT,
                                check=False, quiet=True).stdout.split()
            for name in names:
                self.podman("healthcheck", "run", name, check=False, quiet=True, timeout=60)

    def start_ticker(self):
        self.ticking.clear()
        self.ticker = threading.Thread(target=self.tick_health_checks, daemon=True)
        self.ticker.start()

    def stop_ticker(self):
        self.ticking.set()
        if self.ticker is not None:
            self.ticker.join(90)

    def restart_service(self):
        self.service.kill()
        self.service.wait(30)
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.start_service()

    def down_and_up(self):
        """down, then up. No health check runs while the containers are
        removed (podman's locks). Should up hang even so — seen once: up -d
        never returned and podman's own commands hung with it — podman's
        service is restarted and up run again."""
        self.stop_ticker()
        self.compose("down")
        self.start_ticker()
        try:
            self.compose("up", "-d", timeout=420)
        except subprocess.TimeoutExpired:
            log("up -d did not return within 420 s: podman's service is restarted")
            self.stop_ticker()
            self.restart_service()
            self.start_ticker()
            self.compose("up", "-d", timeout=600)

    def exec(self, service, *args, input=None):
        return self.podman("exec", "-i", self.container(service), *args, input=input)

    def clean_up(self):
        self.ticking.set()
        if self.service is not None:
            try:
                self.compose("down", "-v", "--remove-orphans", timeout=300)
            except Exception as e:  # the run's verdict is already made
                log("clean-up: %s" % e)
            self.service.terminate()
            try:
                self.service.wait(30)
            except subprocess.TimeoutExpired:
                self.service.kill()


# ------------------------------------------------------------------ HTTP --

class Client:
    def __init__(self, base, cafile):
        self.base = base
        self.cafile = cafile
        self.context = ssl.create_default_context(cafile=cafile)
        self.context.check_hostname = True
        self.cookie = None
        self.csrf = None
        self.token = None

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        if self.csrf and method != "GET":
            request.add_header("X-CSRF-Token", self.csrf)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        # A read may meet a stack still settling (a replica starting, on a
        # loaded machine): tried again. Writes are not.
        for attempt in range(3 if method == "GET" else 1):
            try:
                with urllib.request.urlopen(request, context=self.context, timeout=30) as r:
                    status, text, got = r.status, r.read().decode(), r.headers
                break
            except urllib.error.HTTPError as e:
                status, text, got = e.code, e.read().decode(), e.headers
                break
            except (urllib.error.URLError, OSError) as e:
                if attempt + 1 >= (3 if method == "GET" else 1):
                    raise
                log("%s %s: %s; trying again" % (method, path, e))
                time.sleep(2)
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = text
        return status, payload, got


def expect(status, payload, wanted, what):
    if status != wanted:
        raise AssertionError("%s: %d, wanted %d: %s" % (what, status, wanted, payload))
    return payload


def wait_until(what, check, timeout=300):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # not yet
            last = e
        time.sleep(1)
    raise AssertionError("%s: not within %d s (last: %s)" % (what, timeout, last))


# ------------------------------------------------------------------ cases --

def book(stack, site, event, replica="everato-1"):
    """An attendee registers, confirms through the mailed link (a file in
    the shared data volume, read through @replica), books."""
    email = "ada-%s@example.com" % secrets.token_hex(4)
    attendee = Client(site.base, site.cafile)
    expect(*attendee.call("POST", "/api/v1/auth/register",
                          {"email": email, "password": PASSWORD, "name": "Ada"})[:2],
           202, "register")

    def mailed_token():
        listing = stack.exec(replica, "sh", "-c",
                             "grep -l -r -- '%s' /var/lib/everato/mail || true" % email).stdout.split()
        for path in listing:
            text = stack.exec(replica, "cat", path).stdout
            text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
            at = text.find("/verify?token=")
            if at >= 0:
                token = text[at + len("/verify?token="):]
                return token[:next((i for i, c in enumerate(token)
                                    if not (c.isalnum() or c in "-_")), len(token))]
        return None

    token = wait_until("the verification mail", mailed_token, timeout=60)
    expect(*attendee.call("POST", "/api/v1/auth/verify", {"token": token, "password": PASSWORD})[:2],
           200, "verify")
    status, body, headers = attendee.call("POST", "/api/v1/auth/login",
                                          {"email": email, "password": PASSWORD})
    expect(status, body, 200, "login")
    cookie = headers.get("Set-Cookie", "")
    if "Secure" not in cookie:
        raise AssertionError("the session cookie is not Secure behind Caddy: " + cookie)
    attendee.cookie = cookie.split(";")[0]
    attendee.csrf = body["csrf_token"]
    booking = expect(*attendee.call(
        "POST", "/api/v1/bookings",
        {"event_id": event["id"], "items": [{"ticket_type_id": event["type_id"], "quantity": 2}]},
        headers={"Idempotency-Key": secrets.token_hex(8)})[:2], 201, "hold")
    if booking["status"] != "confirmed":
        raise AssertionError("a free booking is %s, not confirmed" % booking["status"])
    return attendee, booking


def main():
    if os.geteuid() != 0:
        tap_skip("needs root (podman with overlay storage)")
    for tool in ["podman", "docker-compose", "debootstrap", "runc"]:
        if shutil.which(tool) is None:
            tap_skip("%s is not installed (the README's set-up installs it)" % tool)

    # meson's timeout (or a Ctrl-C) ends the run through the clean-up below.
    def stop_on_signal(number, frame):
        raise SystemExit(128 + number)
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)

    keep = os.environ.get("EVERATO_CONTAINER_DIR")
    work = keep or tempfile.mkdtemp(prefix="everato-compose-")
    os.makedirs(work, exist_ok=True)
    stack = Stack(work)
    https_port, http_port = free_port(), free_port()
    cases = ["the site answers over Caddy's TLS; /metrics is not exposed",
             "the replicas take the client's address from Caddy alone",
             "an attendee registers, confirms by mail and books",
             "a replica stopped: the other serves and books",
             "down and up again: the data is still there"]
    print("1..%d" % len(cases), flush=True)
    number = 0
    failed = 0

    def verdict(ok, detail=""):
        nonlocal number, failed
        number += 1
        failed += 0 if ok else 1
        print("%s %d - %s" % ("ok" if ok else "not ok", number, cases[number - 1]), flush=True)
        if detail:
            log(detail)

    try:
        started = time.monotonic()
        stack.base_image()
        stack.stand_in_images()
        stack.start_service()
        stack.write_project(https_port, http_port)
        stack.start_ticker()
        stack.up(build=True)
        log("the stack is up after %.0f s" % (time.monotonic() - started))

        cafile = os.path.join(work, "caddy-root.crt")

        def root_ca():
            text = stack.exec("caddy", "cat", "/data/caddy/pki/authorities/local/root.crt").stdout
            if "BEGIN CERTIFICATE" not in text:
                return False
            with open(cafile, "w") as f:
                f.write(text)
            return True

        wait_until("Caddy's local CA", root_ca, timeout=120)
        site = Client("https://localhost:%d" % https_port, cafile)
        wait_until("/readyz through Caddy", lambda: site.call("GET", "/readyz")[0] == 200)

        # 1. TLS (verified against Caddy's CA), the site, the API.
        try:
            status, page, headers = site.call("GET", "/")
            expect(status, page, 200, "the home page")
            if "<html" not in page.lower():
                raise AssertionError("the home page is not HTML")
            expect(*site.call("GET", "/api/v1/public/events")[:2], 200, "public events")
            # With the right token too: Caddy does not pass it on at all.
            expect(*site.call("GET", "/metrics",
                              headers={"Authorization": "Bearer " + stack.metrics_token})[:2],
                   404, "/metrics through Caddy")
            inside = stack.exec("everato-1", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                "-H", "Authorization: Bearer " + stack.metrics_token,
                                "http://127.0.0.1:8080/metrics").stdout
            if inside != "200":
                raise AssertionError("/metrics inside the network: %s, wanted 200" % inside)
            # Plain HTTP is redirected to HTTPS.
            plain = urllib.request.Request("http://localhost:%d/" % http_port, method="GET")

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args):
                    return None
            try:
                urllib.request.build_opener(NoRedirect).open(plain, timeout=30)
                raise AssertionError("plain HTTP was served")
            except urllib.error.HTTPError as e:
                if e.code not in (301, 302, 307, 308) or "https://" not in e.headers.get("Location", ""):
                    raise AssertionError("plain HTTP: %d %s" % (e.code, e.headers.get("Location")))
            verdict(True)
        except Exception as e:
            verdict(False, str(e))

        # The client's address: from Caddy's X-Forwarded-For (a forged one
        # from the client is not believed), not Caddy's own.
        try:
            probe = "probe-" + secrets.token_hex(6)
            expect(*site.call("GET", "/api/v1/public/events/" + probe,
                              headers={"X-Forwarded-For": "203.0.113.7"})[:2], 404, "the probe")

            def logged_client():
                for replica in ["everato-1", "everato-2"]:
                    logs = stack.podman("logs", stack.container(replica), check=False, quiet=True)
                    for line in (logs.stdout + logs.stderr).splitlines():
                        if probe in line and line.startswith("{"):
                            return json.loads(line).get("CLIENT") or json.loads(line).get("client")
                return None

            caddy = stack.podman("inspect", "--format",
                                 "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                                 stack.container("caddy"), quiet=True).stdout.strip()
            client = wait_until("the probe in a replica's log", logged_client, timeout=30)
            log("the replica logged the client as %s (Caddy is %s)" % (client, caddy))
            if not client or client in (caddy, "203.0.113.7"):
                raise AssertionError("the logged client is %s" % client)
            verdict(True)
        except Exception as e:
            verdict(False, str(e))

        # 2. An admin, an event, a booking.
        event = None
        try:
            stack.exec("everato-1", "everato-server", "create-admin", "--email", ADMIN_EMAIL,
                       "--name", "Admin", "--password-stdin", input=ADMIN_PASSWORD + "\n")
            admin = Client(site.base, cafile)
            login = expect(*admin.call("POST", "/api/v1/admin/auth/login",
                                       {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})[:2],
                           200, "admin login")
            admin.token = login["access_token"]
            starts = time.strftime("%Y-%m-%dT18:00:00Z", time.gmtime(time.time() + 30 * 86400))
            ends = time.strftime("%Y-%m-%dT22:00:00Z", time.gmtime(time.time() + 30 * 86400))
            created = expect(*admin.call("POST", "/api/v1/admin/events", {
                "title": "Compose Night", "slug": "compose-night", "timezone": "Europe/Berlin",
                "starts_at": starts, "ends_at": ends, "currency": "EUR", "venue": "Hall"})[:2],
                201, "create an event")
            kind = expect(*admin.call("POST", "/api/v1/admin/events/%s/ticket-types" % created["id"],
                                      {"name": "Free", "price": 0, "capacity": 100})[:2],
                          201, "create a ticket type")
            expect(*admin.call("POST", "/api/v1/admin/events/%s/publish" % created["id"])[:2],
                   200, "publish")
            event = {"id": created["id"], "type_id": kind["id"]}
            attendee, booking = book(stack, site, event)
            mine = expect(*attendee.call("GET", "/api/v1/me/bookings")[:2], 200, "my bookings")
            items = mine["items"] if isinstance(mine, dict) else mine
            if booking["id"] not in json.dumps(items):
                raise AssertionError("the booking is not in the attendee's list")
            expect(*site.call("GET", "/e/compose-night")[:2], 200, "the event page")
            verdict(True)
        except Exception as e:
            verdict(False, str(e))

        # 3. One replica killed.
        try:
            if event is None:
                raise AssertionError("no event (the case before failed)")
            stack.compose("stop", "everato-1")
            running = stack.podman("inspect", "--format", "{{.State.Running}}",
                                   stack.container("everato-1"), quiet=True).stdout.strip()
            if running != "false":
                raise AssertionError("everato-1 still runs after stop: %s" % running)
            for _ in range(20):
                expect(*site.call("GET", "/api/v1/public/events")[:2], 200,
                       "public events with one replica")
            book(stack, site, event, replica="everato-2")
            stack.compose("start", "everato-1")
            verdict(True)
        except Exception as e:
            verdict(False, str(e))

        # 4. down + up: the volumes keep everything.
        try:
            if event is None:
                raise AssertionError("no event (the case before failed)")
            stack.down_and_up()
            wait_until("/readyz after up", lambda: site.call("GET", "/readyz")[0] == 200)
            wait_until("Caddy's local CA", root_ca, timeout=120)
            site = Client(site.base, cafile)
            # Both replicas and Caddy's view of them settle: the page
            # answers, then the admin signs in.
            wait_until("the event page after up",
                       lambda: site.call("GET", "/e/compose-night")[0] == 200, timeout=180)
            admin = Client(site.base, cafile)
            login = wait_until("the admin's sign-in after up", lambda: expect(*admin.call(
                "POST", "/api/v1/admin/auth/login",
                {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})[:2], 200, "admin login after up"),
                timeout=180)
            admin.token = login["access_token"]
            bookings = expect(*admin.call("GET", "/api/v1/admin/events/%s/bookings" % event["id"])[:2],
                              200, "the event's bookings after up")
            items = bookings["items"] if isinstance(bookings, dict) else bookings
            if len(items) != 2:
                raise AssertionError("%d bookings after down/up, wanted 2" % len(items))
            verdict(True)
        except Exception as e:
            verdict(False, str(e))
    except Exception as e:
        log("the stack did not come up: %s" % e)
        while number < len(cases):
            verdict(False)
    finally:
        stack.clean_up()
        if not keep:
            # podman keeps its overlay folder mounted on itself.
            subprocess.run(["umount", "-l", os.path.join(work, "graph", "overlay")],
                           capture_output=True)
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(stack.runroot, ignore_errors=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
