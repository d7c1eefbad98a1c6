#!/usr/bin/python3
"""Checks the Stripe stand-in (stripe-standin.py) against what Stripe does:
form decoding, authentication, idempotency, the session and refund life
cycles, failure injection, and webhook signatures verified here with an
independent HMAC over what a tiny receiver got.

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.environ.get("EVERATO_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "tests", "stripe", "stripe-standin.py")
KEY = "sk_test_standin_0123456789"
SECRETS = ["whsec_old_secret", "whsec_new_secret"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that keeps what it gets and answers 200."""
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def verify(header, body, secret, tolerance=300):
    """Stripe's v1 scheme, written from its description."""
    items = [part.split("=", 1) for part in header.split(",")]
    t = int(next(v for k, v in items if k == "t"))
    expected = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    ok = any(k == "v1" and hmac.compare_digest(v, expected) for k, v in items)
    return ok and abs(time.time() - t) <= tolerance


class StandinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.hook = "http://127.0.0.1:%d/hook" % cls.receiver.server_address[1]
        argv = [sys.executable, SCRIPT, "--port", "0", "--secret-key", KEY, "--watch-stdin"]
        for s in SECRETS:
            argv += ["--webhook-secret", s]
        cls.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True)
        line = cls.proc.stdout.readline()
        assert line.startswith("listening on "), line
        cls.base = "http://127.0.0.1:%d" % int(line.split()[2])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        assert cls.proc.wait(10) == 0
        cls.receiver.shutdown()

    def setUp(self):
        self.control("POST", "/_standin/reset")
        self.control("POST", "/_standin/config", {"webhook_url": self.hook})
        Receiver.got.clear()

    # helpers

    def control(self, method, path, args=None):
        body = json.dumps(args).encode() if args is not None else None
        status, _, out = http(method, self.base + path, body,
                              {"Content-Type": "application/json"})
        return status, json.loads(out) if out else None

    def api(self, method, path, params=None, key=KEY, idem=None, raw=None):
        headers = {"Authorization": "Bearer " + key} if key else {}
        if idem:
            headers["Idempotency-Key"] = idem
        body = raw if raw is not None else (
            urllib.parse.urlencode(params).encode() if params is not None else None)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, hdrs, out = http(method, self.base + path, body, headers)
        self.assertTrue(hdrs.get("Request-Id", "").startswith("req_"))
        return status, hdrs, json.loads(out)

    def session_params(self, **extra):
        p = {"mode": "payment",
             "success_url": "https://everato.test/return?session={CHECKOUT_SESSION_ID}",
             "cancel_url": "https://everato.test/cancel",
             "line_items[0][price_data][currency]": "eur",
             "line_items[0][price_data][unit_amount]": "2500",
             "line_items[0][price_data][product_data][name]": "Café & Bühne — Standard",
             "line_items[0][quantity]": "2",
             "line_items[1][price_data][currency]": "eur",
             "line_items[1][price_data][unit_amount]": "500",
             "line_items[1][price_data][product_data][name]": "Fee",
             "line_items[1][quantity]": "1",
             "metadata[booking_id]": "42", "metadata[weird key/ä]": "a=b&c",
             "client_reference_id": "42", "customer_email": "ann@example.test"}
        p.update(extra)
        return p

    def new_session(self, **extra):
        status, _, s = self.api("POST", "/v1/checkout/sessions", self.session_params(**extra))
        self.assertEqual(status, 200, s)
        return s

    def paid_intent(self):
        s = self.new_session()
        status, out = self.control("POST", "/_standin/sessions/%s/pay" % s["id"], {})
        self.assertEqual(status, 200, out)
        return out["session"]["payment_intent"]

    # tests

    def test_auth(self):
        status, hdrs, out = self.api("GET", "/v1/checkout/sessions/cs_x", key=None)
        self.assertEqual(status, 401)
        self.assertEqual(out["error"]["type"], "invalid_request_error")
        status, _, out = self.api("GET", "/v1/checkout/sessions/cs_x", key="sk_test_wrong_key_1")
        self.assertEqual(status, 401)
        self.assertTrue(out["error"]["message"].startswith("Invalid API Key provided: "))
        self.assertNotIn("sk_test_wrong_key_1", out["error"]["message"])

    def test_create_decodes_form(self):
        s = self.new_session()
        self.assertTrue(s["id"].startswith("cs_test_"))
        self.assertEqual(s["object"], "checkout.session")
        self.assertEqual((s["status"], s["payment_status"], s["mode"]), ("open", "unpaid", "payment"))
        self.assertEqual((s["amount_subtotal"], s["amount_total"], s["currency"]), (5500, 5500, "eur"))
        self.assertEqual(s["metadata"], {"booking_id": "42", "weird key/ä": "a=b&c"})
        self.assertEqual((s["client_reference_id"], s["customer_email"]), ("42", "ann@example.test"))
        self.assertIsNone(s["payment_intent"])
        self.assertFalse(s["livemode"])
        self.assertEqual(s["url"], self.base + "/checkout/" + s["id"])
        self.assertAlmostEqual(s["expires_at"], time.time() + 86400, delta=5)
        _, _, items = self.api("GET", "/v1/checkout/sessions/%s/line_items" % s["id"])
        self.assertEqual([i["description"] for i in items["data"]], ["Café & Bühne — Standard", "Fee"])
        log = self.control("GET", "/_standin/requests")[1]
        self.assertEqual(log[-2]["params"]["line_items"][0]["price_data"]["product_data"]["name"],
                         "Café & Bühne — Standard")
        self.assertEqual(log[-2]["authorization"], "Bearer " + KEY)

    def test_create_validates(self):
        cases = [({"mode": "subscription"}, "mode"),
                 ({"success_url": ""}, "success_url"),
                 ({"line_items[0][price_data][currency]": "EUR"}, "line_items[0][price_data][currency]"),
                 ({"line_items[1][price_data][currency]": "usd"}, "line_items"),
                 ({"line_items[0][price_data][unit_amount]": "-1"}, "line_items[0][price_data][unit_amount]"),
                 ({"line_items[0][price_data][unit_amount]": "2.5"}, "line_items[0][price_data][unit_amount]"),
                 ({"line_items[1][price_data][product_data][name]": ""}, "line_items[1][price_data][product_data][name]"),
                 ({"line_items[0][quantity]": "0"}, "line_items[0][quantity]"),
                 ({"expires_at": str(int(time.time()) + 600)}, "expires_at"),
                 ({"expires_at": str(int(time.time()) + 90000)}, "expires_at"),
                 ({"bogus": "1"}, "bogus")]
        for extra, param in cases:
            status, _, out = self.api("POST", "/v1/checkout/sessions", self.session_params(**extra))
            self.assertEqual(status, 400, (extra, out))
            self.assertEqual(out["error"]["type"], "invalid_request_error")
            self.assertEqual(out["error"]["param"], param, out)
        p = {k: v for k, v in self.session_params().items() if not k.startswith("line_items")}
        status, _, out = self.api("POST", "/v1/checkout/sessions", p)
        self.assertEqual((status, out["error"]["param"]), (400, "line_items"))
        self.assertEqual(self.new_session(expires_at=str(int(time.time()) + 3600))["status"], "open")

    def test_idempotency(self):
        p = self.session_params()
        s1, h1, a = self.api("POST", "/v1/checkout/sessions", p, idem="everato-checkout-1-1")
        s2, h2, b = self.api("POST", "/v1/checkout/sessions", p, idem="everato-checkout-1-1")
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(a, b)
        self.assertNotIn("Idempotent-Replayed", h1)
        self.assertEqual(h2["Idempotent-Replayed"], "true")
        self.assertEqual(len(self.control("GET", "/_standin/sessions")[1]), 1)
        p["metadata[booking_id]"] = "43"
        status, _, out = self.api("POST", "/v1/checkout/sessions", p, idem="everato-checkout-1-1")
        self.assertEqual(status, 400)
        self.assertEqual(out["error"]["type"], "idempotency_error")
        self.assertIn("same parameters", out["error"]["message"])
        # Failed validation is not kept: the same key works once fixed.
        bad = self.session_params(mode="setup")
        self.assertEqual(self.api("POST", "/v1/checkout/sessions", bad, idem="k2")[0], 400)
        self.assertEqual(self.api("POST", "/v1/checkout/sessions", self.session_params(), idem="k2")[0], 200)

    def test_session_lifecycle(self):
        s = self.new_session()
        status, _, out = self.api("GET", "/v1/checkout/sessions/cs_test_nope")
        self.assertEqual(status, 404)
        self.assertEqual((out["error"]["code"], out["error"]["param"]), ("resource_missing", "id"))
        status, _, page = http("GET", self.base + "/checkout/" + s["id"])
        self.assertEqual(status, 200)
        self.assertIn(b"EUR 55.00", page)
        self.assertIn(b'action="/checkout/%s/pay"' % s["id"].encode(), page)
        status, hdrs, _ = http("POST", self.base + "/checkout/%s/pay" % s["id"], b"")
        self.assertEqual(status, 303)
        self.assertEqual(hdrs["Location"], "https://everato.test/return?session=" + s["id"])
        _, _, got = self.api("GET", "/v1/checkout/sessions/" + s["id"])
        self.assertEqual((got["status"], got["payment_status"]), ("complete", "paid"))
        self.assertTrue(got["payment_intent"].startswith("pi_"))
        self.assertIsNone(got["url"])
        self.assertEqual(len(Receiver.got), 1)
        event = json.loads(Receiver.got[0][1])
        self.assertEqual(event["type"], "checkout.session.completed")
        self.assertEqual(event["data"]["object"]["id"], s["id"])
        self.assertEqual(event["api_version"], "2024-06-20")
        status, _, out = self.api("POST", "/v1/checkout/sessions/%s/expire" % s["id"], {})
        self.assertEqual(status, 400)
        self.assertIn('status of "complete"', out["error"]["message"])
        self.assertEqual(http("POST", self.base + "/checkout/%s/pay" % s["id"], b"")[0], 409)
        # Expire through the API: an event, no delivery without asking.
        s2 = self.new_session()
        status, _, out = self.api("POST", "/v1/checkout/sessions/%s/expire" % s2["id"], {})
        self.assertEqual((status, out["status"]), (200, "expired"))
        types = [e["type"] for e in self.control("GET", "/_standin/events")[1]]
        self.assertEqual(types, ["checkout.session.completed", "checkout.session.expired"])
        self.assertIn(b"expired", http("GET", self.base + "/checkout/" + s2["id"])[2])

    def test_tampered_and_async_payment(self):
        s = self.new_session()
        _, out = self.control("POST", "/_standin/sessions/%s/pay" % s["id"],
                              {"amount_total": 1, "currency": "usd", "deliver": True})
        obj = out["events"][0]["data"]["object"]
        self.assertEqual((obj["amount_total"], obj["currency"]), (1, "usd"))
        self.assertEqual(out["deliveries"][0]["status"], 200)
        s = self.new_session()
        _, out = self.control("POST", "/_standin/sessions/%s/pay" % s["id"], {"async": True})
        self.assertEqual(out["session"]["payment_status"], "unpaid")
        self.assertEqual(out["deliveries"], [])
        _, out = self.control("POST", "/_standin/sessions/%s/async" % s["id"], {"result": "succeeded"})
        self.assertEqual(out["events"][0]["type"], "checkout.session.async_payment_succeeded")
        self.assertEqual(out["session"]["payment_status"], "paid")

    def test_refunds(self):
        pi = self.paid_intent()
        p = {"payment_intent": pi, "amount": "2000", "reason": "requested_by_customer",
             "metadata[refund_id]": "7"}
        status, _, r = self.api("POST", "/v1/refunds", p, idem="everato-refund-7")
        self.assertEqual(status, 200, r)
        self.assertEqual((r["object"], r["amount"], r["currency"], r["status"]),
                         ("refund", 2000, "eur", "succeeded"))
        self.assertEqual((r["payment_intent"], r["metadata"]), (pi, {"refund_id": "7"}))
        self.assertEqual(self.api("POST", "/v1/refunds", p, idem="everato-refund-7")[2], r)
        status, _, out = self.api("POST", "/v1/refunds", {"payment_intent": pi, "amount": "3501"})
        self.assertEqual((status, out["error"]["code"]), (400, "amount_too_large"))
        status, _, out = self.api("POST", "/v1/refunds", {"payment_intent": pi, "reason": "meh"})
        self.assertEqual((status, out["error"]["param"]), (400, "reason"))
        status, _, out = self.api("POST", "/v1/refunds", {"payment_intent": "pi_nope"})
        self.assertEqual((status, out["error"]["code"]), (404, "resource_missing"))
        self.control("POST", "/_standin/config", {"refund_status": "pending"})
        status, _, rest = self.api("POST", "/v1/refunds", {"payment_intent": pi})
        self.assertEqual((rest["amount"], rest["status"]), (3500, "pending"))
        events = self.control("GET", "/_standin/events")[1]
        charge = [e for e in events if e["type"] == "charge.refunded"][-1]["data"]["object"]
        self.assertEqual((charge["amount"], charge["amount_refunded"], charge["refunded"]),
                         (5500, 5500, True))
        _, out = self.control("POST", "/_standin/refunds/%s/settle" % rest["id"],
                              {"status": "failed", "deliver": True})
        self.assertEqual(out["events"][0]["type"], "refund.failed")
        self.assertEqual(out["deliveries"][0]["status"], 200)
        # Unpaid (async, processing) payment intents have nothing to refund.
        s = self.new_session()
        _, out = self.control("POST", "/_standin/sessions/%s/pay" % s["id"], {"async": True})
        status, _, _ = self.api("POST", "/v1/refunds", {"payment_intent": out["session"]["payment_intent"]})
        self.assertEqual(status, 400)

    def test_api_events_delivered(self):
        pi = self.paid_intent()
        self.control("POST", "/_standin/config", {"deliver_api_events": True})
        self.assertEqual(self.api("POST", "/v1/refunds", {"payment_intent": pi})[0], 200)
        deadline = time.time() + 5
        while len(Receiver.got) < 2 and time.time() < deadline:
            time.sleep(0.02)
        types = [json.loads(body)["type"] for _, body in Receiver.got]
        self.assertEqual(types, ["refund.created", "charge.refunded"])

    def test_failure_injection(self):
        self.control("POST", "/_standin/fail", {"path_prefix": "/v1/checkout/sessions",
                                                "status": 500, "count": 1})
        self.control("POST", "/_standin/fail", {"path_prefix": "/v1/refunds", "status": 429,
                                                "count": 1, "retry_after": 1})
        status, _, out = self.api("POST", "/v1/checkout/sessions", self.session_params(), idem="f1")
        self.assertEqual((status, out["error"]["type"]), (500, "api_error"))
        # Not kept against the key: the retry goes through.
        self.assertEqual(self.api("POST", "/v1/checkout/sessions", self.session_params(), idem="f1")[0], 200)
        status, hdrs, out = self.api("POST", "/v1/refunds", {"payment_intent": "pi_x"})
        self.assertEqual((status, out["error"]["type"], hdrs.get("Retry-After")),
                         (429, "rate_limit_error", "1"))
        self.control("POST", "/_standin/fail", {"status": 402})
        status, _, out = self.api("GET", "/v1/checkout/sessions/cs_x")
        self.assertEqual((status, out["error"]["type"]), (402, "card_error"))
        self.control("POST", "/_standin/fail", {"mode": "close", "count": 1})
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            http("GET", self.base + "/v1/checkout/sessions/cs_x",
                 headers={"Authorization": "Bearer " + KEY})
        self.control("POST", "/_standin/fail", {"mode": "hang", "count": 1, "seconds": 5})
        with self.assertRaises((TimeoutError, urllib.error.URLError, OSError)):
            http("GET", self.base + "/v1/checkout/sessions/cs_x",
                 headers={"Authorization": "Bearer " + KEY}, timeout=0.5)
        self.assertEqual(self.api("GET", "/v1/checkout/sessions/cs_x")[0], 404)
        statuses = [r["status"] for r in self.control("GET", "/_standin/requests")[1]]
        self.assertEqual(statuses, [500, 200, 429, 402, "closed", "hung", 404])

    def test_webhook_signatures(self):
        s = self.new_session()
        _, out = self.control("POST", "/_standin/sessions/%s/pay" % s["id"], {"deliver": True})
        headers, body = Receiver.got[-1]
        self.assertEqual(headers["Content-Type"].split(";")[0], "application/json")
        sig = headers["Stripe-Signature"]
        self.assertEqual(sig.count("v1="), 2)
        for secret in SECRETS:
            self.assertTrue(verify(sig, body, secret))
        self.assertFalse(verify(sig, body, "whsec_other"))
        event_id = out["events"][0]["id"]
        expect = {"good": True, "bad": False, "stale": False, "future": False,
                  "wrong_secret": False}
        for mode, ok in expect.items():
            _, res = self.control("POST", "/_standin/deliver",
                                  {"event_id": event_id, "signature": mode})
            self.assertEqual(res["results"][0]["status"], 200)
            headers, body = Receiver.got[-1]
            self.assertEqual(json.loads(body)["id"], event_id)
            self.assertEqual(any(verify(headers["Stripe-Signature"], body, k) for k in SECRETS),
                             ok, mode)
        self.control("POST", "/_standin/deliver", {"event_id": event_id, "signature": "none",
                                                   "times": 2})
        self.assertNotIn("Stripe-Signature", Receiver.got[-1][0])
        self.assertEqual(len(Receiver.got), 8)
        self.control("POST", "/_standin/deliver", {"event_id": event_id, "secret": "whsec_x",
                                                   "truncate": True})
        headers, body = Receiver.got[-1]
        self.assertEqual(headers["Stripe-Signature"].count("v1="), 1)
        self.assertRaises(ValueError, json.loads, body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
