#!/usr/bin/python3
"""A local stand-in for Stripe, for the tests (python3 standard library only).

    stripe-standin.py --port PORT --secret-key sk_test_...
                      [--webhook-url URL] [--webhook-secret whsec_...]...
                      [--watch-stdin] [--verbose]

Speaks the part of Stripe's API that Everato uses, on 127.0.0.1, the way
Stripe speaks it: form-encoded requests in bracket notation, Bearer
authentication, Idempotency-Key replay, Stripe's error envelopes, signed
webhook events (Stripe-Signature: t=…,v1=… with one v1 per secret):

    POST /v1/checkout/sessions              GET /v1/checkout/sessions/{id}
    POST /v1/checkout/sessions/{id}/expire  GET …/{id}/line_items
    POST /v1/refunds                        GET /v1/refunds/{id}
    GET  /v1/payment_intents/{id}           GET /v1/events/{id}

The buyer's side is a small hosted page: GET /checkout/{id} shows the items
and a Pay button (POST /checkout/{id}/pay: pays, sends the event when
auto delivery is on, then 303 to success_url).

Tests drive it through /_standin/… (JSON, no authentication): config,
failure injection, paying/expiring sessions, settling refunds, (re)sending
events with good or broken signatures, and reading what it saw; the list
is in Handler.control_route ("CONTROL").

Once it accepts connections it prints one line, "listening on PORT", on
stdout. SIGTERM or SIGINT (and, with --watch-stdin, the end of its standard
input) stop it with status 0.

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import argparse
import base64
import hashlib
import hmac
import html
import http.client
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2024-06-20"
# Smallest amount Stripe charges, per currency (default 50).
MINIMUM_AMOUNT = {"gbp": 30, "sek": 300, "nok": 300, "dkk": 250, "pln": 200,
                  "czk": 1500, "huf": 17500, "mxn": 1000, "hkd": 400, "jpy": 50}
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
                "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
SESSION_PARAMS = {
    "mode", "success_url", "cancel_url", "line_items", "metadata", "client_reference_id",
    "customer_email", "expires_at", "payment_method_types", "locale", "payment_intent_data",
    "expand", "customer_creation", "submit_type", "allow_promotion_codes",
    "billing_address_collection", "phone_number_collection", "invoice_creation", "ui_mode",
    "custom_text", "consent_collection", "after_expiration", "automatic_tax",
    "payment_method_options", "tax_id_collection", "custom_fields"}
LINE_ITEM_PARAMS = {"price_data", "quantity", "adjustable_quantity", "tax_rates", "price"}
REFUND_PARAMS = {"payment_intent", "charge", "amount", "reason", "metadata", "expand",
                 "refund_application_fee", "reverse_transfer", "instructions_email"}
REFUND_REASONS = ("requested_by_customer", "duplicate", "fraudulent")


def now():
    return int(time.time())


def new_id(prefix):
    return prefix + "_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def money(amount, currency):
    if currency in ZERO_DECIMAL:
        return "%s %d" % (currency.upper(), amount)
    return "%s %d.%02d" % (currency.upper(), amount // 100, amount % 100)


class StripeError(Exception):
    """An error reply in Stripe's envelope. saved: whether an Idempotency-Key
    keeps it (Stripe keeps only what the endpoint itself answered, not
    parameter validation)."""

    def __init__(self, status, message, type_="invalid_request_error", code=None,
                 param=None, saved=False, headers=None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type_
        self.code, self.param, self.saved = code, param, saved
        self.headers = headers or {}

    def body(self):
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        return {"error": error}


def bad_param(param, message, code="parameter_invalid"):
    return StripeError(400, message, code=code, param=param)


def missing(param):
    return StripeError(400, "Missing required param: %s." % param,
                       code="parameter_missing", param=param)


# ---------------------------------------------------------------- forms

KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(body):
    """Form body in bracket notation → nested dicts and lists:
    a[b][0][c]=1 gives {"a": {"b": [{"c": "1"}]}}; a[]=x appends."""
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                       errors="strict")
    except (UnicodeDecodeError, ValueError) as e:
        raise StripeError(400, "Invalid request body: %s" % e)
    root = {}
    for key, value in pairs:
        m = KEY_RE.match(key)
        if not m:
            raise StripeError(400, "Invalid parameter name: %s" % key, param=key)
        parts = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                if isinstance(node.get(part), dict):
                    raise StripeError(400, "Invalid parameter: %s is both a value and an object"
                                      % key, param=key)
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise StripeError(400, "Invalid parameter: %s is both a value and an object"
                                      % key, param=key)
                node = child
    return listify(root)


def listify(node, parent=None):
    """Dicts whose keys are all indexes become lists (not under metadata)."""
    if not isinstance(node, dict):
        return node
    out = {k: listify(v, k) for k, v in node.items()}
    if parent != "metadata" and out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def as_int(params, name, param, minimum=None, maximum=None, required=False):
    value = params.get(name)
    if value is None:
        if required:
            raise missing(param)
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,15}", value):
        raise bad_param(param, "Invalid integer: %s" % value)
    number = int(value)
    if minimum is not None and number < minimum:
        raise bad_param(param, "This value must be greater than or equal to %d." % minimum)
    if maximum is not None and number > maximum:
        raise bad_param(param, "This value must be less than or equal to %d." % maximum)
    return number


def as_str(params, name, param, required=False, max_len=5000):
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(param)
        return None
    if not isinstance(value, str):
        raise bad_param(param, "Invalid string: {...}")
    if len(value) > max_len:
        raise bad_param(param, "Invalid string: must be at most %d characters" % max_len)
    return value


def as_url(params, name, required=False):
    value = as_str(params, name, name, required=required, max_len=5000)
    if value is not None:
        parsed = urllib.parse.urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise bad_param(name, "Not a valid URL", code="url_invalid")
    return value


def as_metadata(params, param="metadata"):
    value = params.get(param, {})
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise bad_param(param, "Invalid object")
    out = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise bad_param("%s[%s]" % (param, k), "Invalid string: {...}")
        if len(k) > 40:
            raise bad_param(param, "Metadata keys must be at most 40 characters.")
        if len(v) > 500:
            raise bad_param("%s[%s]" % (param, k), "Metadata values must be at most 500 characters.")
        if v != "":
            out[k] = v
    if len(out) > 50:
        raise bad_param(param, "Metadata can have at most 50 keys.")
    return out


def reject_unknown(params, allowed, prefix=""):
    for key in params:
        if key not in allowed:
            name = "%s[%s]" % (prefix, key) if prefix else key
            raise StripeError(400, "Received unknown parameter: %s" % name, param=name)


# ---------------------------------------------------------------- state

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.wake = threading.Event()   # set on reset/shutdown: hung requests end
        self.reset()

    def reset(self):
        with self.lock:
            self.config = {"webhook_url": self.args.webhook_url,
                           "webhook_secrets": list(self.args.webhook_secret or []),
                           "auto_deliver": True, "refund_status": "succeeded",
                           "async_payments": False, "deliver_api_events": False,
                           "api_event_delay_ms": 50}
            self.sessions, self.line_items, self.intents = {}, {}, {}
            self.refunds, self.events, self.requests = {}, [], []
            self.deliveries, self.idempotency, self.failures = [], {}, []
            self.wake.set()
            self.wake = threading.Event()

    # Objects as Stripe shows them.

    def session_json(self, s, expand=()):
        out = {k: v for k, v in s.items() if not k.startswith("_")}
        out["url"] = s["url"] if s["status"] == "open" else None
        if "payment_intent" in expand and s["payment_intent"]:
            out["payment_intent"] = self.intent_json(self.intents[s["payment_intent"]])
        if "line_items" in expand:
            out["line_items"] = self.line_items_json(s["id"])
        return out

    def line_items_json(self, session_id):
        return {"object": "list", "data": self.line_items[session_id], "has_more": False,
                "url": "/v1/checkout/sessions/%s/line_items" % session_id}

    def intent_json(self, pi):
        return {k: v for k, v in pi.items() if not k.startswith("_")}

    def charge_json(self, pi):
        refunded = pi["_amount_refunded"]
        return {"id": pi["latest_charge"], "object": "charge", "amount": pi["amount"],
                "amount_captured": pi["amount"], "amount_refunded": refunded,
                "captured": True, "created": pi["created"], "currency": pi["currency"],
                "livemode": False, "metadata": pi["metadata"], "paid": True,
                "payment_intent": pi["id"], "refunded": refunded >= pi["amount"],
                "status": "succeeded"}

    def event(self, type_, obj, request_id=None, idempotency_key=None):
        ev = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION,
              "created": now(), "livemode": False, "pending_webhooks": 1,
              "request": {"id": request_id, "idempotency_key": idempotency_key},
              "type": type_, "data": {"object": json.loads(json.dumps(obj))}}
        self.events.append(ev)
        return ev

    def find_event(self, event_id):
        return next((e for e in self.events if e["id"] == event_id), None)

    # Transitions shared by the API, the hosted page and the control API.

    def pay(self, s, amount_total=None, currency=None, async_=False):
        if s["status"] != "open":
            raise StripeError(400, "This Checkout Session is %s and cannot be paid."
                              % s["status"], code="checkout_session_not_open")
        if amount_total is not None:
            s["amount_total"] = int(amount_total)
        if currency is not None:
            s["currency"] = currency
        pi = {"id": new_id("pi"), "object": "payment_intent", "amount": s["amount_total"],
              "amount_received": 0 if async_ else s["amount_total"], "created": now(),
              "currency": s["currency"], "latest_charge": None, "livemode": False,
              "metadata": dict(s["_pi_metadata"]),
              "status": "processing" if async_ else "succeeded", "_amount_refunded": 0,
              "_session": s["id"]}
        if not async_:
            pi["latest_charge"] = new_id("ch")
        self.intents[pi["id"]] = pi
        s.update(status="complete", payment_status="unpaid" if async_ else "paid",
                 payment_intent=pi["id"],
                 customer_details={"email": s["customer_email"] or "buyer@example.test",
                                   "name": "Test Buyer", "phone": None, "address": None,
                                   "tax_exempt": "none", "tax_ids": []})
        return [self.event("checkout.session.completed", self.session_json(s))]

    def settle_async(self, s, succeeded):
        pi = self.intents.get(s["payment_intent"] or "")
        if s["status"] != "complete" or pi is None or pi["status"] != "processing":
            raise StripeError(400, "This Checkout Session has no payment in progress.")
        if succeeded:
            pi.update(status="succeeded", amount_received=pi["amount"],
                      latest_charge=new_id("ch"))
            s["payment_status"] = "paid"
            return [self.event("checkout.session.async_payment_succeeded", self.session_json(s))]
        pi["status"] = "requires_payment_method"
        return [self.event("checkout.session.async_payment_failed", self.session_json(s))]

    def expire(self, s):
        if s["status"] != "open":
            raise StripeError(400, 'Only Checkout Sessions with a status in ["open"] can be '
                              'expired. This Checkout Session has a status of "%s".'
                              % s["status"], saved=True)
        s["status"] = "expired"
        return [self.event("checkout.session.expired", self.session_json(s))]

    # Webhook delivery (never under the lock: the receiver may call back).

    def sign(self, payload, mode="good", secret=None, timestamp=None):
        t = timestamp or now()
        if mode == "stale":
            t -= 600
        elif mode == "future":
            t += 600
        keys = [secret] if secret else list(self.config["webhook_secrets"])
        if mode == "wrong_secret":
            keys = ["whsec_" + secrets.token_hex(16)]
        sigs = []
        for key in keys:
            mac = hmac.new(key.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
            if mode == "bad":
                mac = mac[:-4] + ("0000" if mac[-4:] != "0000" else "1111")
            sigs.append("v1=" + mac)
        return "t=%d,%s" % (t, ",".join(sigs)) if sigs else "t=%d" % t

    def deliver(self, ev, signature="good", secret=None, truncate=False, url=None):
        url = url or self.config["webhook_url"]
        if not url:
            return {"status": None, "body": None, "error": "no webhook_url configured"}
        payload = json.dumps(ev, indent=2).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        if signature != "none":
            headers["Stripe-Signature"] = self.sign(payload, signature, secret)
        if truncate:
            payload = payload[:len(payload) // 2]
        req = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        result = {"event_id": ev["id"], "type": ev["type"], "signature": signature}
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                result.update(status=resp.status, body=resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            try:
                body = e.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                body = None
            result.update(status=e.code, body=body)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # Refused, reset, or cut off in the middle of its answer (a
            # receiver killed while it replies): a failed delivery.
            result.update(status=None, body=None, error=str(e))
        with self.lock:
            self.deliveries.append(result)
        return result


# ---------------------------------------------------------------- the API

class Api:
    """The /v1 endpoints. Each returns (status, object) or raises StripeError;
    they run under the state lock."""

    def __init__(self, state, base_url):
        self.state, self.base_url = state, base_url

    def route(self, method, path, params, ctx):
        parts = path.strip("/").split("/")[1:]     # drop "v1"
        expand = params.get("expand", []) if method == "GET" else []
        expand = expand if isinstance(expand, list) else [expand]
        if parts == ["checkout", "sessions"] and method == "POST":
            return self.create_session(params, ctx)
        if len(parts) >= 3 and parts[:2] == ["checkout", "sessions"]:
            s = self.state.sessions.get(parts[2])
            if s is None:
                raise StripeError(404, "No such checkout.session: '%s'" % parts[2],
                                  code="resource_missing", param="id", saved=True)
            if len(parts) == 3 and method == "GET":
                return 200, self.state.session_json(s, expand)
            if parts[3:] == ["line_items"] and method == "GET":
                return 200, self.state.line_items_json(s["id"])
            if parts[3:] == ["expire"] and method == "POST":
                self.state.expire(s)
                return 200, self.state.session_json(s)
        if parts == ["refunds"] and method == "POST":
            return self.create_refund(params, ctx)
        if len(parts) == 2 and method == "GET":
            table = {"refunds": (self.state.refunds, "refund"),
                     "payment_intents": (self.state.intents, "payment_intent"),
                     "events": ({e["id"]: e for e in self.state.events}, "event")}.get(parts[0])
            if table is not None:
                obj = table[0].get(parts[1])
                if obj is None:
                    raise StripeError(404, "No such %s: '%s'" % (table[1], parts[1]),
                                      code="resource_missing", param="id")
                return 200, (self.state.intent_json(obj) if parts[0] == "payment_intents"
                             else obj)
        raise StripeError(404, "Unrecognized request URL (%s: %s). Please see "
                          "https://stripe.com/docs or we can help at "
                          "https://support.stripe.com/." % (method, path))

    def create_session(self, p, ctx):
        reject_unknown(p, SESSION_PARAMS)
        mode = as_str(p, "mode", "mode", required=True)
        if mode not in ("payment", "setup", "subscription"):
            raise bad_param("mode", "Invalid mode: must be one of payment, setup, or subscription")
        if mode != "payment":
            raise bad_param("mode", "This test stand-in supports only mode=payment.")
        success_url = as_url(p, "success_url", required=True)
        cancel_url = as_url(p, "cancel_url")
        email = as_str(p, "customer_email", "customer_email", max_len=800)
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise bad_param("customer_email", "Invalid email address: %s" % email,
                            code="email_invalid")
        ref = as_str(p, "client_reference_id", "client_reference_id", max_len=200)
        metadata = as_metadata(p)
        pi_data = p.get("payment_intent_data", {})
        pi_metadata = as_metadata(pi_data, "metadata") if isinstance(pi_data, dict) else {}
        created = now()
        expires_at = as_int(p, "expires_at", "expires_at")
        if expires_at is None:
            expires_at = created + 24 * 3600
        elif expires_at < created + 30 * 60:
            raise bad_param("expires_at", "The `expires_at` timestamp must be at least 30 "
                            "minutes from Checkout Session creation.")
        elif expires_at > created + 24 * 3600:
            raise bad_param("expires_at", "The `expires_at` timestamp must be less than 24 "
                            "hours from Checkout Session creation.")
        items = p.get("line_items")
        if items is None or items == "":
            raise missing("line_items")
        if not isinstance(items, list) or not items:
            raise bad_param("line_items", "Invalid array")
        session_id = new_id("cs_test")
        rendered, currencies, total = [], set(), 0
        for i, item in enumerate(items):
            name = "line_items[%d]" % i
            if not isinstance(item, dict):
                raise bad_param(name, "Invalid object")
            reject_unknown(item, LINE_ITEM_PARAMS, name)
            if "price" in item:
                raise StripeError(400, "No such price: '%s'" % item["price"],
                                  code="resource_missing", param=name + "[price]")
            pd = item.get("price_data")
            if not isinstance(pd, dict):
                raise missing(name + "[price_data]")
            reject_unknown(pd, {"currency", "unit_amount", "product_data", "product",
                                "tax_behavior", "unit_amount_decimal"}, name + "[price_data]")
            currency = as_str(pd, "currency", name + "[price_data][currency]", required=True)
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise bad_param(name + "[price_data][currency]", "Invalid currency: %s. Stripe "
                                "currently supports these currencies: usd, eur, gbp, …"
                                % currency)
            unit = as_int(pd, "unit_amount", name + "[price_data][unit_amount]", minimum=0,
                          maximum=99999999, required=True)
            product = pd.get("product_data")
            if not isinstance(product, dict):
                raise missing(name + "[price_data][product_data]")
            pname = as_str(product, "name", name + "[price_data][product_data][name]",
                           required=True, max_len=250)
            qty = as_int(item, "quantity", name + "[quantity]", minimum=1, maximum=999999,
                         required=True)
            currencies.add(currency)
            total += unit * qty
            rendered.append({
                "id": new_id("li"), "object": "item", "amount_discount": 0,
                "amount_subtotal": unit * qty, "amount_tax": 0, "amount_total": unit * qty,
                "currency": currency, "description": pname, "quantity": qty,
                "price": {"id": new_id("price"), "object": "price", "active": False,
                          "currency": currency, "unit_amount": unit, "type": "one_time",
                          "product": new_id("prod"), "livemode": False}})
        if len(currencies) > 1:
            raise bad_param("line_items", "Checkout does not support multiple currencies. All "
                            "line items must have the same currency (got %s)."
                            % ", ".join(sorted(currencies)))
        currency = currencies.pop()
        minimum = MINIMUM_AMOUNT.get(currency, 50)
        if total < minimum:
            raise bad_param("line_items", "The Checkout Session's total amount due must add up "
                            "to at least %s" % money(minimum, currency))
        if total > 99999999:
            raise bad_param("line_items", "The Checkout Session's total amount due must be no "
                            "more than %s" % money(99999999, currency))
        s = {"id": session_id, "object": "checkout.session", "after_expiration": None,
             "allow_promotion_codes": None, "amount_subtotal": total, "amount_total": total,
             "automatic_tax": {"enabled": False, "liability": None, "status": None},
             "billing_address_collection": None, "cancel_url": cancel_url,
             "client_reference_id": ref, "client_secret": None, "consent": None,
             "created": created, "currency": currency, "customer": None,
             "customer_creation": "if_required", "customer_details": None,
             "customer_email": email, "expires_at": expires_at, "invoice": None,
             "livemode": False, "locale": p.get("locale"), "metadata": metadata,
             "mode": mode, "payment_intent": None, "payment_link": None,
             "payment_method_collection": "if_required",
             "payment_method_types": p.get("payment_method_types") or ["card"],
             "payment_status": "unpaid", "recovered_from": None, "setup_intent": None,
             "status": "open", "submit_type": p.get("submit_type"), "subscription": None,
             "success_url": success_url,
             "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
             "ui_mode": "hosted", "url": "%s/checkout/%s" % (self.base_url, session_id),
             "_pi_metadata": pi_metadata}
        self.state.sessions[session_id] = s
        self.state.line_items[session_id] = rendered
        return 200, self.state.session_json(s)

    def create_refund(self, p, ctx):
        reject_unknown(p, REFUND_PARAMS)
        if "charge" in p:
            raise bad_param("charge", "This test stand-in refunds by payment_intent only.")
        pi_id = as_str(p, "payment_intent", "payment_intent", required=True)
        amount = as_int(p, "amount", "amount", minimum=1)
        reason = as_str(p, "reason", "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise bad_param("reason", "Invalid reason: must be one of %s"
                            % ", ".join(REFUND_REASONS))
        metadata = as_metadata(p)
        pi = self.state.intents.get(pi_id)
        if pi is None:
            raise StripeError(404, "No such payment_intent: '%s'" % pi_id,
                              code="resource_missing", param="payment_intent")
        if pi["status"] != "succeeded":
            raise StripeError(400, "This PaymentIntent (%s) does not have a successful charge "
                              "to refund." % pi_id, code="charge_not_refundable",
                              param="payment_intent", saved=True)
        left = pi["amount"] - pi["_amount_refunded"]
        if left <= 0:
            raise StripeError(400, "Charge %s has already been refunded." % pi["latest_charge"],
                              code="charge_already_refunded", saved=True)
        if amount is None:
            amount = left
        elif amount > left:
            raise StripeError(400, "Refund amount (%s) is greater than unrefunded amount on "
                              "charge (%s)" % (money(amount, pi["currency"]),
                                               money(left, pi["currency"])),
                              code="amount_too_large", param="amount", saved=True)
        status = self.state.config["refund_status"]
        refund = {"id": new_id("re"), "object": "refund", "amount": amount,
                  "balance_transaction": None, "charge": pi["latest_charge"],
                  "created": now(), "currency": pi["currency"], "metadata": metadata,
                  "payment_intent": pi_id, "reason": reason, "receipt_number": None,
                  "source_transfer_reversal": None, "status": status,
                  "transfer_reversal": None}
        pi["_amount_refunded"] += amount
        self.state.refunds[refund["id"]] = refund
        self.state.event("refund.created", refund, ctx["request_id"], ctx["idempotency_key"])
        self.state.event("charge.refunded", self.state.charge_json(pi), ctx["request_id"],
                         ctx["idempotency_key"])
        return 200, refund


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "stripe-standin"

    # -- plumbing

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("stripe-standin: %s\n" % (fmt % args))

    def reply(self, status, body, content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body, indent=2) + "\n").encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", self.request_id)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def drop_connection(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self):
        self.request_id = new_id("req")
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            if path.startswith("/v1/") or path == "/v1":
                self.api(state, path, url.query)
            elif path.startswith("/_standin/"):
                self.control(state, path)
            elif path.startswith("/checkout/"):
                self.hosted(state, path)
            else:
                self.reply(404, {"error": {"type": "invalid_request_error",
                                           "message": "Unrecognized request URL"}})
        except BrokenPipeError:
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = dispatch

    # -- /v1

    def api(self, state, path, query):
        body = self.read_body()
        auth = self.headers.get("Authorization")
        key = self.headers.get("Idempotency-Key") if self.command == "POST" else None
        entry = {"method": self.command, "path": path, "query": query, "authorization": auth,
                 "idempotency_key": key, "stripe_version": self.headers.get("Stripe-Version"),
                 "content_type": self.headers.get("Content-Type"), "params": None,
                 "request_id": self.request_id, "time": time.time(), "replayed": False}
        with state.lock:
            state.requests.append(entry)
            failure = self.take_failure(state, path)
        if failure is not None and not failure.get("after"):
            try:
                entry["params"] = decode_form(body if self.command != "GET" else query.encode())
            except StripeError:
                pass
            entry["status"] = {"close": "closed", "hang": "hung"}.get(failure["mode"],
                                                                      failure.get("status"))
            self.fail(state, failure)
            return
        try:
            self.check_auth(state, auth)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if body and ctype not in ("", "application/x-www-form-urlencoded"):
                raise StripeError(400, "Invalid request: unsupported Content-Type %s. Send "
                                  "application/x-www-form-urlencoded." % ctype)
            params = decode_form(body if self.command != "GET" else query.encode())
            entry["params"] = params
        except StripeError as e:
            entry["status"] = self.reply(e.status, e.body(), headers=e.headers)
            return
        status, body, headers, events = self.execute(state, path, params, key, entry)
        if failure is not None:
            # "after": the request was carried out (and kept under its key)
            # but its answer is lost, as when Stripe is slow or the line breaks.
            entry["answered"] = status
            entry["status"] = {"close": "closed", "hang": "hung"}.get(failure["mode"],
                                                                      failure.get("status"))
            self.fail(state, failure)
            return
        entry["status"] = self.reply(status, body, headers=headers)
        if events and state.config["deliver_api_events"]:
            # Like Stripe: the events of an API call come shortly after its reply.
            def later():
                time.sleep(state.config["api_event_delay_ms"] / 1000)
                for ev in events:
                    state.deliver(ev)
            threading.Thread(target=later, daemon=True).start()

    def execute(self, state, path, params, key, entry):
        """Idempotency, then the endpoint: (status, body, headers, new events)."""
        if key is not None and not 0 < len(key) <= 255:
            e = StripeError(400, "Idempotency-Key must be 1 to 255 characters long.")
            return e.status, e.body(), {}, []
        with state.lock:
            stored = state.idempotency.get(key) if key else None
            if stored is not None:
                if (stored["method"], stored["path"]) != (self.command, path):
                    e = StripeError(400, "Keys for idempotent requests can only be used for the "
                                    "same endpoint they were first used for ('%s %s' vs '%s %s')."
                                    " Try using a key other than '%s' if you meant to execute a "
                                    "different request." % (stored["method"], stored["path"],
                                                            self.command, path, key),
                                    type_="idempotency_error")
                elif stored["params"] != params:
                    e = StripeError(400, "Keys for idempotent requests can only be used with the "
                                    "same parameters they were first used with. Try using a key "
                                    "other than '%s' if you meant to execute a different "
                                    "request." % key, type_="idempotency_error")
                else:
                    entry["replayed"] = True
                    return stored["status"], stored["body"], {
                        "Idempotent-Replayed": "true",
                        "Original-Request": stored["request_id"]}, []
                return e.status, e.body(), {}, []
            ctx = {"request_id": self.request_id, "idempotency_key": key}
            seen = len(state.events)
            try:
                status, obj = self.server.api.route(self.command, path, params, ctx)
                saved = True
            except StripeError as e:
                status, obj, saved = e.status, e.body(), e.saved
            body = (json.dumps(obj, indent=2) + "\n").encode()
            if key and saved:
                state.idempotency[key] = {"method": self.command, "path": path,
                                          "params": params, "status": status, "body": body,
                                          "request_id": self.request_id}
            return status, body, {"Idempotency-Key": key} if key else {}, state.events[seen:]

    def check_auth(self, state, auth):
        given = None
        if auth and auth.startswith("Bearer "):
            given = auth[7:].strip()
        elif auth and auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                given = ""
        headers = {"WWW-Authenticate": 'Basic realm="Stripe"'}
        if not given:
            raise StripeError(401, "You did not provide an API key. You need to provide your API "
                              "key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').", headers=headers)
        if not hmac.compare_digest(given.encode(), state.args.secret_key.encode()):
            masked = given[:8] + "*" * max(0, len(given) - 12) + given[-4:] \
                if len(given) > 12 else given
            raise StripeError(401, "Invalid API Key provided: %s" % masked, headers=headers)

    def take_failure(self, state, path):
        for f in state.failures:
            if path.startswith(f["path_prefix"]) and f.get("method") in (None, self.command):
                f["count"] -= 1
                if f["count"] <= 0:
                    state.failures.remove(f)
                return dict(f)
        return None

    def fail(self, state, f):
        if f["mode"] == "close":
            self.drop_connection()
            return "closed"
        if f["mode"] == "hang":
            state.wake.wait(f.get("seconds", 60))
            self.drop_connection()
            return "hung"
        status = f["status"]
        if status >= 500:
            type_, code, msg = "api_error", None, "An unknown error occurred"
        elif status == 429:
            type_, code = "rate_limit_error", "rate_limit"
            msg = ("Request rate limit exceeded. Learn more about rate limits here "
                   "https://stripe.com/docs/rate-limits.")
        elif status == 402:
            type_, code, msg = "card_error", "card_declined", "Your card was declined."
        else:
            type_, code, msg = "invalid_request_error", None, "Invalid request (injected)."
        e = StripeError(status, f.get("message") or msg, f.get("type") or type_,
                        f.get("code", code))
        headers = {}
        if f.get("retry_after") is not None:
            headers["Retry-After"] = str(f["retry_after"])
        if status >= 500 or status == 429:
            headers["Stripe-Should-Retry"] = "true"
        return self.reply(status, e.body(), headers=headers)

    # -- the hosted checkout page

    def page(self, status, title, body):
        doc = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>%s</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32em;"
               "margin:2em auto;padding:0 1em;color:#1a1a1a}table{width:100%%;"
               "border-collapse:collapse}td,th{padding:.4em 0;text-align:left}"
               ".num{text-align:right}button{font:inherit;padding:.6em 2em;background:#0a5;"
               "color:#fff;border:0;border-radius:.3em}a{color:#05a}</style></head>"
               "<body><main>%s</main></body></html>\n" % (html.escape(title), body))
        return self.reply(status, doc, "text/html; charset=utf-8")

    def hosted(self, state, path):
        parts = path.strip("/").split("/")
        self.read_body()
        with state.lock:
            s = state.sessions.get(parts[1]) if len(parts) >= 2 else None
            if s is None:
                return self.page(404, "Not found", "<h1>This checkout page does not exist</h1>")
            esc = html.escape
            if len(parts) == 2 and self.command == "GET":
                if s["status"] != "open":
                    word = "has expired" if s["status"] == "expired" else "is already paid"
                    return self.page(410 if s["status"] == "expired" else 200, "Checkout",
                                     "<h1>This checkout session %s</h1>" % word)
                rows = "".join(
                    "<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%s</td></tr>"
                    % (esc(li["description"]), li["quantity"],
                       esc(money(li["amount_total"], li["currency"])))
                    for li in state.line_items[s["id"]])
                cancel = ("<p><a href=\"%s\">Cancel and go back</a></p>" % esc(s["cancel_url"])
                          if s["cancel_url"] else "")
                return self.page(200, "Pay", (
                    "<h1>Pay</h1><table><caption>Your order</caption><thead><tr>"
                    "<th scope=\"col\">Item</th><th scope=\"col\" class=\"num\">Quantity</th>"
                    "<th scope=\"col\" class=\"num\">Amount</th></tr></thead><tbody>%s</tbody>"
                    "<tfoot><tr><th scope=\"row\" colspan=\"2\">Total</th>"
                    "<td class=\"num\" id=\"total\">%s</td></tr></tfoot></table>"
                    "<form method=\"post\" action=\"/checkout/%s/pay\">"
                    "<p><button type=\"submit\">Pay %s</button></p></form>%s"
                    % (rows, esc(money(s["amount_total"], s["currency"])), esc(s["id"]),
                       esc(money(s["amount_total"], s["currency"])), cancel)))
            if parts[2:] != ["pay"] or self.command != "POST":
                return self.page(405, "Not allowed", "<h1>Not allowed</h1>")
            if s["status"] != "open":
                return self.page(409, "Checkout", "<h1>This checkout session is %s and cannot "
                                 "be paid</h1>" % esc(s["status"]))
            events = state.pay(s, async_=state.config["async_payments"])
            deliver = state.config["auto_deliver"] and state.config["webhook_url"]
            target = s["success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"])
        if deliver:
            for ev in events:
                state.deliver(ev)
        self.reply(303, "", "text/plain", headers={"Location": target})

    # -- /_standin (CONTROL)

    def control(self, state, path):
        raw = self.read_body()
        try:
            args = json.loads(raw) if raw.strip() else {}
            if not isinstance(args, dict):
                raise ValueError("expected a JSON object")
        except ValueError as e:
            return self.reply(400, {"error": "bad JSON: %s" % e})
        parts = path.strip("/").split("/")[1:]
        try:
            status, out = self.control_route(state, self.command, parts, args)
        except StripeError as e:
            status, out = e.status, e.body()
        except (KeyError, TypeError, ValueError) as e:
            status, out = 400, {"error": "bad control request: %r" % (e,)}
        self.reply(status, out)

    def control_route(self, state, method, parts, args):
        """CONTROL: the tests' side, JSON in and out, no authentication.

        POST /_standin/config   {"webhook_url", "webhook_secrets": [..], "auto_deliver"
                                (hosted Pay sends its event), "refund_status": "succeeded" |
                                "pending", "async_payments" (hosted Pay leaves the session
                                unpaid), "deliver_api_events" (send the events of API calls
                                in the background), "api_event_delay_ms"}
        POST /_standin/fail     {"path_prefix": "/v1/", "method"?, "status": 500, "count": 1,
                                "mode": "status" | "hang" | "close", "seconds"? (hang),
                                "retry_after"?, "type"?, "code"?, "message"?, "after"?}:
                                the next count matching API requests fail before the
                                idempotency layer (a retry with the same key goes
                                through); with "after": true each is carried out first
                                and only its answer fails (a retry gets the replay).
        POST /_standin/sessions/{id}/pay     {"deliver", "amount_total"?, "currency"?, "async"?}
        POST /_standin/sessions/{id}/async   {"result": "succeeded" | "failed", "deliver"}
        POST /_standin/sessions/{id}/expire  {"deliver"}
        POST /_standin/refunds/{id}/settle   {"status": "succeeded" | "failed", "deliver"}
                  → {"session" | "refund", "events": [..], "deliveries": [..]}
        POST /_standin/deliver  {"event_id", "times": 1, "signature": "good" | "bad" | "stale"
                                | "future" | "wrong_secret" | "none", "truncate", "delay_ms",
                                "secret"?, "url"?} → {"results": [{"status", "body"}]}
        POST /_standin/reset    forget everything, config back to the command line's
        GET  /_standin/events | sessions | refunds | requests | deliveries | config
        """
        def session():
            s = state.sessions.get(parts[1])
            if s is None:
                raise StripeError(404, "No such checkout.session: '%s'" % parts[1],
                                  code="resource_missing", param="id")
            return s

        def send(events):
            return [state.deliver(ev) for ev in events] if args.get("deliver") else []

        if method == "GET":
            with state.lock:
                lists = {"events": state.events, "requests": state.requests,
                         "deliveries": state.deliveries,
                         "refunds": list(state.refunds.values()),
                         "sessions": [state.session_json(s) for s in state.sessions.values()],
                         "config": state.config}
                if len(parts) == 1 and parts[0] in lists:
                    # A deep copy: the caller must not see later changes half-made.
                    return 200, json.loads(json.dumps(lists[parts[0]]))
            return 404, {"error": "unknown control path"}
        if parts == ["config"]:
            with state.lock:
                for k in ("webhook_url", "webhook_secrets", "auto_deliver", "refund_status",
                          "async_payments", "deliver_api_events", "api_event_delay_ms"):
                    if k in args:
                        state.config[k] = args[k]
                if state.config["refund_status"] not in ("succeeded", "pending"):
                    raise ValueError("refund_status must be succeeded or pending")
                return 200, dict(state.config)
        if parts == ["reset"]:
            state.reset()
            return 200, {"reset": True}
        if parts == ["fail"]:
            f = {"path_prefix": args.get("path_prefix", "/v1/"), "method": args.get("method"),
                 "mode": args.get("mode", "status"), "status": int(args.get("status", 500)),
                 "count": int(args.get("count", 1))}
            for k in ("type", "code", "message", "retry_after", "seconds", "after"):
                if k in args:
                    f[k] = args[k]
            if f["mode"] not in ("status", "hang", "close"):
                raise ValueError("mode must be status, hang or close")
            with state.lock:
                state.failures.append(f)
            return 200, f
        if len(parts) == 3 and parts[0] == "sessions":
            with state.lock:
                s = session()
                if parts[2] == "pay":
                    events = state.pay(s, args.get("amount_total"), args.get("currency"),
                                       bool(args.get("async")))
                elif parts[2] == "expire":
                    events = state.expire(s)
                elif parts[2] == "async":
                    events = state.settle_async(s, args.get("result", "succeeded") == "succeeded")
                else:
                    return 404, {"error": "unknown control path"}
                out = {"session": state.session_json(s), "events": events}
            out["deliveries"] = send(events)
            return 200, out
        if len(parts) == 3 and parts[0] == "refunds" and parts[2] == "settle":
            with state.lock:
                r = state.refunds.get(parts[1])
                if r is None:
                    raise StripeError(404, "No such refund: '%s'" % parts[1],
                                      code="resource_missing", param="id")
                status = args.get("status", "succeeded")
                if status not in ("succeeded", "failed"):
                    raise ValueError("status must be succeeded or failed")
                r["status"] = status
                if status == "failed":
                    r["failure_reason"] = args.get("failure_reason", "expired_or_canceled_card")
                    state.intents[r["payment_intent"]]["_amount_refunded"] -= r["amount"]
                    events = [state.event("refund.failed", r)]
                else:
                    events = [state.event("refund.updated", r)]
                out = {"refund": dict(r), "events": events}
            out["deliveries"] = send(events)
            return 200, out
        if parts == ["deliver"]:
            with state.lock:
                ev = state.find_event(args["event_id"])
            if ev is None:
                return 404, {"error": "no such event"}
            results = []
            for _ in range(int(args.get("times", 1))):
                if args.get("delay_ms"):
                    time.sleep(args["delay_ms"] / 1000)
                results.append(state.deliver(ev, args.get("signature", "good"),
                                             args.get("secret"), bool(args.get("truncate")),
                                             args.get("url")))
            return 200, {"results": results}
        return 404, {"error": "unknown control path"}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description="A local stand-in for Stripe's API.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret", action="append")
    parser.add_argument("--watch-stdin", action="store_true",
                        help="exit when standard input ends (the parent is gone)")
    parser.add_argument("--verbose", action="store_true", help="log requests on stderr")
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    server.verbose = args.verbose
    server.state = State(args)
    server.api = Api(server.state, "http://127.0.0.1:%d" % port)

    def stop(*_):
        server.state.wake.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.watch_stdin:
        def watch():
            while os.read(0, 4096):
                pass
            stop()
        threading.Thread(target=watch, daemon=True).start()
    print("listening on %d" % port, flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
