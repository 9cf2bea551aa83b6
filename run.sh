#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root), builds Hearth, trains the
# example digits classifier (a few seconds, from data Debian ships) and serves
# it on http://127.0.0.1:8080 (management on 8081, metrics on 8082).
# Stop it with: build/bin/hearth --stop
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
./scripts/build.sh
/usr/bin/python3 examples/digits/train_digits.py examples/digits --archiver build/bin/hearth-archiver
cd examples/digits
../../build/bin/hearth --stop >/dev/null 2>&1 || true
../../build/bin/hearth --start --ncs --model-store model_store --ts-config config.properties --models digits=digits.mar
echo
echo "Hearth is serving a digits classifier as 'digits'. Ask it what a handwritten 7 is:"
echo "  curl -T examples/digits/images/7.png http://127.0.0.1:8080/predictions/digits"
echo "(the answer starts with \"7\" and its probability; images/0.png ... 9.png are the other digits)"
echo "  curl http://127.0.0.1:8081/models/digits"
echo "Stop it with: build/bin/hearth --stop"
