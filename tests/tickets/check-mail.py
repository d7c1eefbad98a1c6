#!/usr/bin/python3
# check-mail.py MESSAGE.eml OUTDIR: parses a ticket mail with Python's
# email package (not Everato's code), saves its parts to OUTDIR and prints
# what a test needs to know about it as JSON:
#   {"subject", "language", "tree": "multipart/mixed(...)", "text", "html",
#    "cids_in_html": [...], "images": {cid: file}, "pdf": file, "ics": file}
#
# SPDX-License-Identifier: AGPL-3.0-or-later
import email
import email.policy
import json
import os
import re
import sys


def tree(part):
    if part.is_multipart():
        return part.get_content_type() + "(" + ",".join(tree(p) for p in part.iter_parts()) + ")"
    return part.get_content_type()


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    if msg.defects:
        print("defects: %r" % msg.defects, file=sys.stderr)
        sys.exit(2)
    out = {"subject": str(msg["subject"]), "language": msg["content-language"],
           "tree": tree(msg), "images": {}, "pdf": None, "ics": None, "text": "", "html": ""}
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.defects:
            print("part defects: %r" % part.defects, file=sys.stderr)
            sys.exit(2)
        ctype = part.get_content_type()
        if ctype == "text/plain":
            out["text"] = part.get_content()
        elif ctype == "text/html":
            out["html"] = part.get_content()
        elif ctype == "image/png":
            n += 1
            cid = (part["content-id"] or "").strip("<>")
            name = os.path.join(outdir, "qr-%d.png" % n)
            with open(name, "wb") as f:
                f.write(part.get_content())
            out["images"][cid] = name
        elif ctype == "application/pdf":
            out["pdf"] = os.path.join(outdir, part.get_filename() or "tickets.pdf")
            out["pdf_disposition"] = part.get_content_disposition()
            with open(out["pdf"], "wb") as f:
                f.write(part.get_content())
        elif ctype == "text/calendar":
            out["ics"] = os.path.join(outdir, "event.ics")
            with open(out["ics"], "w", encoding="utf-8", newline="") as f:
                f.write(part.get_content())
    out["cids_in_html"] = re.findall(r'src="cid:([^"]+)"', out["html"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
