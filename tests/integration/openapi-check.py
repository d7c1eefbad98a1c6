#!/usr/bin/python3
"""openapi-check.py: checks response bodies against docs/openapi.yaml.

The integration tests' HTTP helper (eva-test.c) starts one of these per test
program and sends it every JSON response it receives, one JSON object a line:

    {"method": "GET", "path": "/api/v1/admin/events/…?limit=2",
     "status": 200, "body": {…}}

and reads one line back: "ok", or "error: …" naming the route, the status
and what does not match. The response is checked against the schema the
document gives for that route, method and status (or the operation's
"default" response for an error status it does not list). Response objects
are closed: an object schema that lists properties and says nothing about
others admits no others, so a field the server adds must be documented.

Batch use, for a look at a folder of recorded lines:
    openapi-check.py --check FILE.jsonl…
and its own test (the openapi-check test), that it can tell wrong bodies:
    openapi-check.py --self-test

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import json
import os
import re
import sys

import yaml
from jsonschema import Draft202012Validator, FormatChecker

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def close_objects(node, in_all_of=False):
    """Adds unevaluatedProperties: false to object schemas with properties."""
    if isinstance(node, dict):
        if ("properties" in node and not in_all_of
                and "additionalProperties" not in node
                and "unevaluatedProperties" not in node):
            node["unevaluatedProperties"] = False
        for key, value in node.items():
            if key == "allOf" and isinstance(value, list):
                for item in value:
                    close_objects(item, True)
            elif key not in ("example", "examples"):
                close_objects(value)
    elif isinstance(node, list):
        for item in node:
            close_objects(item)


def remove_dot_segments(path):
    """What the HTTP client sends for a path with . and .. (RFC 3986, 5.2.4)."""
    out = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    tail = "/" if path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(out) + tail


def pointer_escape(text):
    return text.replace("~", "~0").replace("/", "~1")


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.root = json.loads(json.dumps(self.doc))
        close_objects(self.root.get("components", {}))
        close_objects(self.root.get("paths", {}))
        # Literal routes before templated ones: /me/bookings/current
        # before /me/bookings/{id}.
        self.routes = []
        for template in self.doc.get("paths", {}):
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((template.count("{"), template, re.compile(pattern)))
        self.routes.sort(key=lambda r: (r[0], -len(r[1])))
        self.validators = {}

    def route(self, path):
        path = remove_dot_segments(path.split("?", 1)[0].split("#", 1)[0])
        for _, template, pattern in self.routes:
            if pattern.match(path):
                return template
        return None

    def resolve(self, obj, pointer):
        """Follows a local $ref; returns (object, its JSON pointer)."""
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local references: {ref}")
            pointer = ref[1:]
            obj = self.doc
            for part in ref[2:].split("/"):
                obj = obj[part.replace("~1", "/").replace("~0", "~")]
        return obj, pointer

    def validator(self, pointer):
        if pointer not in self.validators:
            schema = dict(self.root)
            schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            schema["$ref"] = "#" + pointer
            self.validators[pointer] = Draft202012Validator(schema, format_checker=FormatChecker())
        return self.validators[pointer]

    def check(self, method, path, status, body):
        template = self.route(path)
        where = f"{method} {path} → {status}"
        if template is None:
            if status >= 400:
                template_ptr = "/components/schemas/ErrorEnvelope"
                return self.errors(where, template_ptr, body)
            return f"{where}: no such path in openapi.yaml"
        item = self.doc["paths"][template]
        op = item.get(method.lower())
        if op is None:
            if status in (404, 405) or status >= 400:
                return self.errors(where, "/components/schemas/ErrorEnvelope", body)
            return f"{where}: {method} {template} is not in openapi.yaml"
        base = f"/paths/{pointer_escape(template)}/{method.lower()}/responses"
        responses = op.get("responses", {})
        key = str(status)
        if key in responses:
            response, pointer = self.resolve(responses[key], f"{base}/{key}")
        elif f"{key[0]}XX" in responses:
            key = f"{key[0]}XX"
            response, pointer = self.resolve(responses[key], f"{base}/{key}")
        elif "default" in responses and status >= 400:
            response, pointer = self.resolve(responses["default"], f"{base}/default")
        else:
            return f"{where}: status {status} of {method} {template} is not documented"
        media = response.get("content", {}).get("application/json")
        if media is None or "schema" not in media:
            return f"{where}: the document gives no JSON body for {method} {template} {key}"
        return self.errors(f"{where} ({method} {template})",
                           f"{pointer}/content/application~1json/schema", body)

    def errors(self, where, pointer, body):
        found = sorted(self.validator(pointer).iter_errors(body), key=lambda e: list(e.absolute_path))
        if not found:
            return None
        lines = [f"{where}: the body does not match {pointer}"]
        for error in found[:10]:
            at = "/".join(str(p) for p in error.absolute_path) or "(the body)"
            lines.append(f"  at {at}: {error.message[:300]}")
        return "\n".join(lines)


EVENT = {
    "id": "4f1c2a9e-8d0b-4c55-9a55-0a1f0e3b7c21", "slug": "summer", "title": "Summer", "description": "",
    "venue": "", "address": "", "timezone": "UTC", "starts_at": "2031-05-01T17:00:00+00:00",
    "ends_at": "2031-05-01T21:00:00+00:00", "status": "draft", "currency": None, "hold_minutes": 15,
    "cancellation_hours": 0, "max_tickets_per_attendee": 10, "payment_methods": ["card"],
    "transfer_details": None, "transfer_days": 7, "created_at": "2031-01-01T00:00:00+00:00",
    "updated_at": "2031-01-01T00:00:00+00:00", "published_at": None,
}


def self_test(spec):
    """Each case: (method, path, status, body, whether it must pass)."""
    path = "/api/v1/admin/events/4f1c2a9e-8d0b-4c55-9a55-0a1f0e3b7c21"
    without_title = {k: v for k, v in EVENT.items() if k != "title"}
    cases = [
        ("GET", "/healthz", 200, {"status": "ok"}, True),
        ("GET", path, 200, EVENT, True),
        ("GET", path + "?x=1", 200, EVENT, True),
        ("GET", path, 200, without_title, False),                      # a field missing
        ("GET", path, 200, dict(EVENT, secret=1), False),              # a field not documented
        ("GET", path, 200, dict(EVENT, hold_minutes="15"), False),     # a wrong type
        ("GET", path, 200, dict(EVENT, status="sold"), False),         # not in the enum
        ("GET", path, 201, EVENT, False),                              # a status not documented
        ("GET", "/api/v1/nothing-here", 200, {}, False),                # a path not documented
        ("GET", path, 404, {"error": {"code": "not_found", "message": "x", "details": {}}}, True),
        ("GET", path, 404, {"error": {"code": "no_such_code", "message": "x", "details": {}}}, False),
        ("GET", path, 503, {"error": {"code": "shutting_down", "message": "x", "details": {}}}, True),
        ("GET", path, 418, {"status": "ok"}, False),                   # an error without the envelope
        ("GET", "/api/v1/nothing-here", 404, {"error": {"code": "not_found", "message": "x", "details": {}}}, True),
        ("GET", "/api/v1/admin/events/x/../../staff", 200,
         {"items": [], "total": 0, "next_cursor": None}, True),        # the path the client sends
    ]
    failed = 0
    for method, where, status, body, ok in cases:
        problem = spec.check(method, where, status, body)
        if (problem is None) != ok:
            failed += 1
            print(f"not ok: {method} {where} {status}: expected {'a pass' if ok else 'a problem'}, got {problem}")
    print(f"{len(cases) - failed}/{len(cases)} cases as expected")
    return 1 if failed else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    spec_path = os.environ.get("EVERATO_OPENAPI") or os.path.join(here, "..", "..", "docs", "openapi.yaml")
    spec = Spec(spec_path)

    if sys.argv[1:] == ["--self-test"]:
        return self_test(spec)

    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        failed = 0
        for name in sys.argv[2:]:
            with open(name, encoding="utf-8") as f:
                for line in f:
                    r = json.loads(line)
                    problem = spec.check(r["method"], r["path"], r["status"], r["body"])
                    if problem:
                        failed += 1
                        print(problem)
        print(f"{failed} problems")
        return 1 if failed else 0

    record = os.environ.get("EVERATO_TEST_OPENAPI_RECORD")
    out = open(os.path.join(record, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") if record else None
    for line in sys.stdin:
        try:
            r = json.loads(line)
            if out:
                out.write(line if line.endswith("\n") else line + "\n")
                out.flush()
                problem = None
            else:
                problem = spec.check(r["method"], r["path"], r["status"], r["body"])
        except Exception as e:  # a broken line or document is a failure too
            problem = f"openapi-check.py: {type(e).__name__}: {e}"
        reply = "ok" if problem is None else "error: " + problem.replace("\\", "\\\\").replace("\n", "\\n")
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
