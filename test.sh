#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root), builds Hearth and runs every test.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
./scripts/build.sh
cd build
# Unit tests first (fast), then the end-to-end suites against the real server.
ctest --output-on-failure -L unit -j2
ctest --output-on-failure -L e2e -j2
# The parsers' libFuzzer targets, briefly (fuzz/run_fuzzers.sh runs longer on demand).
ctest --output-on-failure -L fuzz
