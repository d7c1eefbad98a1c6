#!/usr/bin/python3
"""openapi-gen.py: files made from docs/openapi.yaml.

    scripts/openapi-gen.py           writes them
    scripts/openapi-gen.py --check   exits 1 (and says which) if one is stale

- web/js/api-types.d.ts: a TypeScript interface per schema under
  components/schemas, which the site's JSDoc types import, so that
  `tsc --checkJs` (web-typecheck) refuses a script that reads a field the
  API does not have.
- docs/api.html: the reference page the server shows at /api/v1/docs,
  one self-contained HTML file (no scripts, no outside resources).

Needs python3-yaml only.

SPDX-License-Identifier: AGPL-3.0-or-later
"""

import html
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
TYPES = os.path.join(ROOT, "web", "js", "api-types.d.ts")
PAGE = os.path.join(ROOT, "docs", "api.html")
METHODS = ("get", "post", "put", "patch", "delete")


def ref_name(ref):
    return ref.rsplit("/", 1)[1]


# --------------------------------------------------------------------------
# TypeScript

def ts_type(schema, indent):
    if not isinstance(schema, dict) or schema == {}:
        return "unknown"
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    if "const" in schema:
        return ts_literal(schema["const"])
    if "enum" in schema:
        return " | ".join(ts_literal(v) for v in schema["enum"])
    for key, sep in (("allOf", " & "), ("oneOf", " | "), ("anyOf", " | ")):
        if key in schema:
            return sep.join(paren(ts_type(s, indent)) for s in schema[key])
    types = schema.get("type")
    if isinstance(types, list):
        return " | ".join(paren(ts_type(dict(schema, type=t), indent)) for t in types)
    if types in ("integer", "number"):
        return "number"
    if types in ("string", "boolean", "null"):
        return types
    if types == "array":
        return paren(ts_type(schema.get("items", {}), indent)) + "[]"
    if types == "object" or "properties" in schema:
        return ts_object(schema, indent)
    return "unknown"


def paren(text):
    return f"({text})" if (" | " in text or " & " in text) and not text.startswith("{") else text


def ts_literal(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def ts_comment(schema, pad):
    text = schema.get("description") if isinstance(schema, dict) else None
    if not text:
        return ""
    text = " ".join(text.split()).replace("*/", "* /")
    return f"{pad}/** {text} */\n"


def ts_object(schema, indent):
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    if not props:
        if isinstance(extra, dict):
            return f"Record<string, {ts_type(extra, indent)}>"
        return "Record<string, unknown>"
    required = set(schema.get("required", []))
    pad = "  " * (indent + 1)
    lines = ["{"]
    for name, sub in props.items():
        key = name if re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", name) else ts_literal(name)
        optional = "" if name in required else "?"
        lines.append(ts_comment(sub, pad) + f"{pad}{key}{optional}: {ts_type(sub, indent + 1)};")
    if isinstance(extra, dict):
        lines.append(f"{pad}[key: string]: unknown;")
    lines.append("  " * indent + "}")
    return "\n".join(lines)


def make_types(doc):
    out = [
        "// api-types.d.ts: the API's payloads, one type per schema of",
        "// docs/openapi.yaml (components/schemas). Made by scripts/openapi-gen.py:",
        "// do not edit; change the document and run the script.",
        "//",
        "// SPDX-License-Identifier: AGPL-3.0-or-later",
        "",
    ]
    for name, schema in doc["components"]["schemas"].items():
        body = ts_type(schema, 0)
        out.append(ts_comment(schema, "").rstrip("\n")) if ts_comment(schema, "") else None
        if body.startswith("{"):
            out.append(f"export interface {name} {body}")
        else:
            out.append(f"export type {name} = {body};")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------
# HTML

CSS = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fff}
main{max-width:62rem;margin:0 auto;padding:1rem 1.5rem 4rem}
nav{columns:14rem;font-size:.9rem}
nav ul{margin:.2rem 0;padding-left:1.2rem}
h1{font-size:1.8rem} h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
h3{font-size:1.05rem;margin:2rem 0 .3rem;font-family:ui-monospace,monospace;word-break:break-all}
code,pre,.type{font-family:ui-monospace,monospace;font-size:.88rem}
pre{background:#f4f4f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.m{display:inline-block;min-width:4.2rem;padding:0 .3rem;border-radius:3px;color:#fff;background:#555;text-align:center}
.get{background:#1b6e3a}.post{background:#1d4f9c}.patch{background:#8a5a00}.delete{background:#a4262c}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6} .muted{color:#555}
@media (prefers-color-scheme:dark){body{background:#161618;color:#e8e8ea}pre,th{background:#242428}
th,td{border-color:#444}.muted{color:#aaa}a{color:#8ab4ff}}
"""


def esc(text):
    return html.escape(str(text), quote=True)


def para(text):
    if not text:
        return ""
    blocks = [b.strip() for b in str(text).split("\n\n") if b.strip()]
    return "".join(f"<p>{inline(' '.join(b.split()))}</p>" for b in blocks)


def inline(text):
    parts = str(text).split("`")
    return "".join(esc(p) if i % 2 == 0 else f"<code>{esc(p)}</code>" for i, p in enumerate(parts))


def html_type(schema):
    if not isinstance(schema, dict) or not schema:
        return "any"
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    if "enum" in schema:
        return " | ".join(f"<code>{esc(v)}</code>" for v in schema["enum"])
    for key, sep in (("allOf", " &amp; "), ("oneOf", " | "), ("anyOf", " | ")):
        if key in schema:
            return sep.join(html_type(s) for s in schema[key])
    types = schema.get("type")
    if isinstance(types, list):
        return " | ".join(html_type(dict(schema, type=t)) for t in types)
    if types == "array":
        return html_type(schema.get("items", {})) + "[]"
    if types == "object" or "properties" in schema:
        if schema.get("properties"):
            return "object (" + ", ".join(esc(k) for k in schema["properties"]) + ")"
        return "object"
    fmt = f" ({esc(schema['format'])})" if "format" in schema else ""
    return esc(types or "any") + fmt


def html_props(schema, doc):
    if isinstance(schema, dict) and "$ref" in schema:
        return f"<p>{html_type(schema)}</p>"
    if not isinstance(schema, dict) or not schema.get("properties"):
        return f"<p class=type>{html_type(schema)}</p>"
    required = set(schema.get("required", []))
    rows = []
    for name, sub in schema["properties"].items():
        desc = sub.get("description", "") if isinstance(sub, dict) else ""
        limits = []
        for key in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "default", "pattern"):
            if isinstance(sub, dict) and key in sub:
                limits.append(f"{key} {sub[key]}")
        note = inline(desc) + (f' <span class=muted>({esc(", ".join(limits))})</span>' if limits else "")
        rows.append(f"<tr><td><code>{esc(name)}</code>{'' if name in required else ' <span class=muted>optional</span>'}</td>"
                    f"<td class=type>{html_type(sub)}</td><td>{note}</td></tr>")
    return "<table><tr><th>Field</th><th>Type</th><th>Notes</th></tr>" + "".join(rows) + "</table>"


def resolve(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"][2:].split("/"):
            node = node[part]
        obj = node
    return obj


def make_page(doc):
    info = doc["info"]
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(info['title'])} {esc(info['version'])}</title>",
           "<!-- Made from docs/openapi.yaml by scripts/openapi-gen.py: do not edit. -->",
           f"<style>{CSS.strip()}</style>", "</head>", "<body>", "<main>",
           f"<h1>{esc(info['title'])} <span class=muted>{esc(info['version'])}</span></h1>",
           para(info.get("description")),
           '<p>The machine-readable description: <a href="/api/v1/openapi.yaml">openapi.yaml</a> (OpenAPI '
           f"{esc(doc['openapi'])}).</p>"]
    by_tag = {t["name"]: [] for t in doc.get("tags", [])}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                by_tag.setdefault(op.get("tags", ["other"])[0], []).append((path, method, op, item))
    out.append("<nav><h2>Contents</h2>")
    for tag in doc.get("tags", []):
        ops = by_tag.get(tag["name"], [])
        out.append(f'<p><a href="#tag-{esc(tag["name"])}">{esc(tag["name"])}</a></p><ul>')
        for path, method, op, _ in ops:
            out.append(f'<li><a href="#op-{esc(op["operationId"])}">{esc(method.upper())} {esc(path)}</a></li>')
        out.append("</ul>")
    out.append('<p><a href="#schemas">Schemas</a></p></nav>')

    for tag in doc.get("tags", []):
        out.append(f'<h2 id="tag-{esc(tag["name"])}">{esc(tag["name"])}</h2>' + para(tag.get("description")))
        for path, method, op, item in by_tag.get(tag["name"], []):
            out.append(f'<h3 id="op-{esc(op["operationId"])}"><span class="m {method}">{method.upper()}</span> {esc(path)}</h3>')
            out.append(f"<p><strong>{inline(op.get('summary', ''))}</strong> <span class=muted>"
                       f"({esc(op['operationId'])})</span></p>")
            out.append(para(op.get("description")))
            security = op.get("security", doc.get("security", []))
            names = [name for req in security for name in req] or ["none"]
            out.append(f"<p>Authentication: {esc(', '.join(names))}</p>")
            params = [resolve(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            if params:
                out.append("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Notes</th></tr>")
                for p in params:
                    out.append(f"<tr><td><code>{esc(p['name'])}</code>{'' if p.get('required') else ' <span class=muted>optional</span>'}</td>"
                               f"<td>{esc(p['in'])}</td><td class=type>{html_type(p.get('schema', {}))}</td>"
                               f"<td>{inline(p.get('description', ''))}</td></tr>")
                out.append("</table>")
            body = op.get("requestBody")
            if body:
                body = resolve(doc, body)
                for media, content in body.get("content", {}).items():
                    out.append(f"<p>Request body ({esc(media)}{'' if body.get('required') else ', optional'}):</p>")
                    out.append(html_props(resolve(doc, content.get("schema", {})) if "$ref" not in content.get("schema", {})
                                          else content["schema"], doc))
            out.append("<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>")
            for status, response in op.get("responses", {}).items():
                response = resolve(doc, response)
                bodies = [f"{esc(m)}: {html_type(c.get('schema', {}))}" for m, c in response.get("content", {}).items()]
                out.append(f"<tr><td>{esc(status)}</td><td>{inline(' '.join(response.get('description', '').split()))}</td>"
                           f"<td class=type>{'<br>'.join(bodies)}</td></tr>")
            out.append("</table>")

    out.append('<h2 id="schemas">Schemas</h2>')
    for name, schema in doc["components"]["schemas"].items():
        out.append(f'<h3 id="schema-{esc(name)}">{esc(name)}</h3>')
        out.append(para(schema.get("description")))
        out.append(html_props(schema, doc))
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(line for line in out if line)


def main():
    with open(SPEC, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    outputs = {TYPES: make_types(doc), PAGE: make_page(doc)}
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs.items():
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(os.path.relpath(path, ROOT))
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("not made from the current docs/openapi.yaml (run scripts/openapi-gen.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
