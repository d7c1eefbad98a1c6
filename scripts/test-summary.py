#!/usr/bin/env python3
"""Count test cases over meson build trees.

Usage: test-summary.py BUILD_DIR...

Reads BUILD_DIR/meson-logs/testlog.json (one JSON object per line) and counts
test cases, not executables:

* an executable whose stdout is TAP contributes one case per "ok" line
  (passed, or skipped with "# SKIP") and per "not ok" line (failed, except
  "# TODO" ones, which are ignored);
* an executable without TAP lines is one case: passed if its result is OK
  (or EXPECTEDFAIL), skipped if SKIP, failed otherwise;
* an executable whose result is FAIL/TIMEOUT/ERROR/… although its TAP shows no
  failure (a crash or leak report after the last test) adds one failure;
* a build tree without a test log (build failed, run interrupted) counts as
  one failure.

Prints one line per build tree and, as the very last line,
"N passed, N failed" (plus ", N skipped" when there are skipped cases).
Always exits 0; callers decide from the counts or their own exit status.
"""

import json
import os
import re
import sys

OK_RE = re.compile(r"^ok(\s|$)")
NOT_OK_RE = re.compile(r"^not ok(\s|$)")
SKIP_RE = re.compile(r"#\s*skip", re.IGNORECASE)
TODO_RE = re.compile(r"#\s*todo", re.IGNORECASE)

# meson results that mean the executable itself went wrong
BAD_RESULTS = {"FAIL", "TIMEOUT", "ERROR", "INTERRUPT", "UNEXPECTEDPASS"}
GOOD_RESULTS = {"OK", "EXPECTEDFAIL"}


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []  # names of failing executables / cases

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures.extend(other.failures)

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        if self.skipped > 0:
            text += f", {self.skipped} skipped"
        return text


def count_test(entry, counts):
    name = str(entry.get("name", "?"))
    result = str(entry.get("result", "")).upper()
    stdout = entry.get("stdout") or ""
    if not isinstance(stdout, str):
        stdout = str(stdout)

    tap_lines = 0
    tap_failed = 0
    for raw in stdout.splitlines():
        line = raw.rstrip("\r")
        if NOT_OK_RE.match(line):
            tap_lines += 1
            if TODO_RE.search(line):
                continue
            tap_failed += 1
            counts.failed += 1
            counts.failures.append(f"{name}: {line.strip()}")
        elif OK_RE.match(line):
            tap_lines += 1
            if SKIP_RE.search(line):
                counts.skipped += 1
            else:
                counts.passed += 1

    if tap_lines == 0:
        if result in GOOD_RESULTS:
            counts.passed += 1
        elif result == "SKIP":
            counts.skipped += 1
        else:
            counts.failed += 1
            counts.failures.append(f"{name}: {result or 'no result'}")
    elif result in BAD_RESULTS and tap_failed == 0:
        counts.failed += 1
        counts.failures.append(f"{name}: {result} after its last test case")


def summarize(build_dir):
    counts = Counts()
    log = os.path.join(build_dir, "meson-logs", "testlog.json")
    executables = 0
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            for lineno, raw in enumerate(f, 1):
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    entry = json.loads(raw)
                except ValueError:
                    counts.failed += 1
                    counts.failures.append(f"{log}:{lineno}: unreadable entry")
                    continue
                if not isinstance(entry, dict):
                    continue
                executables += 1
                count_test(entry, counts)
    except OSError as e:
        counts.failed += 1
        counts.failures.append(f"no test log ({e.strerror}: {log}); the build or the test run failed")
        return counts, None
    return counts, executables


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("0 passed, 0 failed")
        return 0
    total = Counts()
    for build_dir in argv[1:]:
        counts, executables = summarize(build_dir)
        where = build_dir if executables is None else f"{build_dir} ({executables} test executables)"
        print(f"{where}: {counts.line()}")
        shown = counts.failures[:50]
        for failure in shown:
            print(f"  FAILED {failure}")
        if len(counts.failures) > len(shown):
            print(f"  … and {len(counts.failures) - len(shown)} more")
        total.add(counts)
    sys.stdout.flush()
    print(total.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
