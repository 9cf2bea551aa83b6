#!/usr/bin/python3
"""Clang's thread-safety analysis over the serving core.

    thread_safety.py BUILD_DIR

Compiles every translation unit of src/core (and common/timers.cc) with
clang++ -fsyntax-only -Wthread-safety -Werror=thread-safety, using the flags
of BUILD_DIR/compile_commands.json (the main build is GCC, which ignores the
annotations of common/thread_annotations.h). Fails, naming the file and
line, when a member marked HEARTH_GUARDED_BY is touched without its mutex or
a HEARTH_REQUIRES function is called without it. Exits 77 (ctest's skip)
when clang++ is not installed.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECKED = [os.path.join(ROOT, "src", "core"), os.path.join(ROOT, "src", "common", "timers.cc")]


def clang():
    for name in ("clang++-14", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    return None


def checked(path):
    return any(path == c or path.startswith(c + os.sep) for c in CHECKED)


def command_for(entry, compiler):
    argv = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = [compiler, "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety", "-Wno-unknown-warning-option"]
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", entry["file"]) or arg.startswith(("-W", "-fdiagnostics-color", "-MD", "-MMD")):
            continue
        out.append(arg)
    return out + [entry["file"]]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    compiler = clang()
    if not compiler:
        print("clang++ not installed: thread-safety analysis skipped")
        return 77
    with open(os.path.join(sys.argv[1], "compile_commands.json")) as f:
        entries = [e for e in json.load(f) if checked(os.path.abspath(e["file"]))]
    if not entries:
        print("no core files in compile_commands.json", file=sys.stderr)
        return 1

    def run(entry):
        r = subprocess.run(command_for(entry, compiler), cwd=entry["directory"], capture_output=True, text=True)
        return entry["file"], r.returncode, r.stderr

    failures = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, code, err in pool.map(run, entries):
            rel = os.path.relpath(path, ROOT)
            if code != 0:
                failures += 1
                print(f"FAIL {rel}\n{err}")
            else:
                print(f"ok   {rel}")
    print(f"{len(entries) - failures} of {len(entries)} files pass -Wthread-safety")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
