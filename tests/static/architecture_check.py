#!/usr/bin/python3
"""docs/architecture.json must describe the tree as it is: every folder of
src/ with a CMakeLists.txt (and python/'s packages) is listed, nothing listed
is gone, and each folder's declared dependencies are exactly the hearth::
libraries its CMakeLists.txt links. Prints what differs; exit 1 when
anything does."""

import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cmake_deps(folder):
    with open(os.path.join(ROOT, folder, "CMakeLists.txt")) as f:
        text = f.read()
    if "hearth_library(" not in text:
        return None
    return sorted(set(re.findall(r"hearth::(\w+)", text)))


def main():
    with open(os.path.join(ROOT, "docs", "architecture.json")) as f:
        listed = json.load(f)["folders"]
    problems = []
    actual = set()
    for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
        if "CMakeLists.txt" in files:
            folder = os.path.relpath(dirpath, ROOT)
            if cmake_deps(folder) is not None:
                actual.add(folder)
    for entry in os.listdir(os.path.join(ROOT, "python")):
        if os.path.isfile(os.path.join(ROOT, "python", entry, "__init__.py")):
            actual.add("python/" + entry)
    for folder in sorted(actual - set(listed)):
        problems.append(f"{folder}: not in docs/architecture.json")
    for folder in sorted(set(listed) - actual):
        problems.append(f"{folder}: listed in docs/architecture.json but not in the tree")
    for folder in sorted(actual & set(listed)):
        if not folder.startswith("src/"):
            continue
        declared = sorted(set(listed[folder]["depends_on"]))
        real = cmake_deps(folder)
        if declared != real:
            problems.append(f"{folder}: architecture.json says {declared}, CMakeLists.txt links {real}")
    for p in problems:
        print(p)
    print(f"{len(actual)} folders checked, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
