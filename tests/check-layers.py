#!/usr/bin/env python3
"""Check the include layers of server/ and desktop/ (see docs/ARCHITECTURE.md).

Each folder of a program is a layer with a rank. A file may include headers
of its own folder or of a folder with a lower rank, never one above it or a
sibling of the same rank, and no chain of includes between files may come
back to where it started. Includes of a program's own headers are written
relative to the program's folder ("http/eva-request.h"); headers of common/
and config.h are always allowed.

Usage: check-layers.py SOURCE_ROOT   (exit 1 and one line a problem if the
shape is broken; prints what it checked otherwise)
"""

import os
import re
import sys

# program folder -> {layer folder: rank}; "" is the program's top folder
# (main.c), which may include anything.
LAYERS = {
    "server": {
        "core": 0,
        "db": 1,
        "mail": 2,
        "http": 2,
        "services": 3,
        "api": 4,
        "site": 4,
        "jobs": 4,
        "app": 5,
        "": 6,
    },
    "desktop": {
        "api": 0,
        "widgets": 1,
        "events": 2,
        "bookings": 2,
        "coupons": 2,
        "staff": 2,
        "sign-in": 2,
        "door": 2,
        "analytics": 2,
        "webhooks": 2,
        "app": 3,
        "": 4,
    },
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def sources(program_dir):
    for dirpath, dirnames, filenames in os.walk(program_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".c", ".h")):
                yield os.path.join(dirpath, name)


def check_program(root, program, ranks, problems):
    program_dir = os.path.join(root, program)
    common_dir = os.path.join(root, "common")
    graph = {}
    n_includes = 0
    for path in sources(program_dir):
        rel = os.path.relpath(path, program_dir)
        folder = os.path.dirname(rel)
        if folder not in ranks:
            problems.append(f"{program}/{rel}: folder '{folder}' is not a known layer "
                            f"(add it to tests/check-layers.py and docs/ARCHITECTURE.md)")
            continue
        edges = graph.setdefault(rel, [])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for target in INCLUDE.findall(text):
            if target == "config.h" or target.endswith("-resources.h") or target.endswith(".c"):
                continue
            if os.path.exists(os.path.join(common_dir, target)) and "/" not in target:
                continue
            n_includes += 1
            if not os.path.exists(os.path.join(program_dir, target)):
                problems.append(f"{program}/{rel}: includes \"{target}\", which is not a path "
                                f"under {program}/ (write includes relative to {program}/)")
                continue
            to_folder = os.path.dirname(target)
            if to_folder not in ranks:
                problems.append(f"{program}/{rel}: includes \"{target}\" from an unknown folder")
                continue
            if to_folder != folder and ranks[to_folder] >= ranks[folder]:
                kind = "up a layer" if ranks[to_folder] > ranks[folder] else "sideways"
                problems.append(f"{program}/{rel}: includes \"{target}\" {kind} "
                                f"({folder or 'top'} rank {ranks[folder]} -> "
                                f"{to_folder or 'top'} rank {ranks[to_folder]})")
            edges.append(target)

    # Cycles between files (a .c file's own header counts as the same node).
    def node(rel):
        base = rel[:-2] if rel.endswith((".c", ".h")) else rel
        return base[:-8] if base.endswith("-private") else base

    merged = {}
    for rel, targets in graph.items():
        merged.setdefault(node(rel), set()).update(node(t) for t in targets if node(t) != node(rel))
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(merged.get(n, ())):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                problems.append(f"{program}: include cycle: " + " -> ".join(cycle))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(merged):
        if n not in state:
            visit(n)
    return len(graph), n_includes


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = []
    for program, ranks in LAYERS.items():
        files, includes = check_program(root, program, ranks, problems)
        print(f"{program}/: {files} files, {includes} includes of its own headers checked")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layer problem(s)")
        return 1
    print("layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
