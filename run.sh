#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root), builds Hearth, makes an example
# model and serves it on http://127.0.0.1:8080 (management on 8081).
# Stop it with: build/bin/hearth --stop
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
./scripts/build.sh
mkdir -p examples/quickstart/model_store
/usr/bin/python3 examples/quickstart/make_example.py examples/quickstart/model_store
cd examples/quickstart
../../build/bin/hearth --stop >/dev/null 2>&1 || true
../../build/bin/hearth --start --ncs --model-store model_store --ts-config config.properties --models resnet=resnet.mar
echo
echo "Hearth is serving the example ResNet-18 (random weights) as 'resnet'. Try:"
echo "  curl http://127.0.0.1:8080/ping"
echo "  curl -T examples/quickstart/kitten.jpg http://127.0.0.1:8080/predictions/resnet"
echo "  curl http://127.0.0.1:8081/models/resnet"
echo "Stop it with: build/bin/hearth --stop"
