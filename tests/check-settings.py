#!/usr/bin/env python3
"""Every EVERATO_* setting the server reads is documented, in README.md's
configuration table and in DEPLOYMENT.md's "Every setting"."""

import os
import re
import sys

root = sys.argv[1]
read = set()
for folder, _, files in os.walk(os.path.join(root, "server")):
    for name in files:
        if name.endswith(".c"):
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            # A setting is a full name in a string: "EVERATO_…".
            read.update(re.findall(r'"(EVERATO_[A-Z0-9_]*[A-Z0-9])"', text))

problems = []
for doc in ["README.md", "DEPLOYMENT.md"]:
    text = open(os.path.join(root, doc), encoding="utf-8").read()
    rows = "\n".join(line for line in text.splitlines() if line.startswith("| `EVERATO_"))
    for name in sorted(read):
        if "`%s`" % name not in rows:
            problems.append("%s: %s is read by the server but not in the settings table" % (doc, name))

if not read:
    problems.append("no EVERATO_ setting found in server/: the check is broken")
for p in problems:
    print(p)
print("%d settings, %d problems" % (len(read), len(problems)))
sys.exit(1 if problems else 0)
