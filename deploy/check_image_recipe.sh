#!/usr/bin/env bash
# Exercises deploy/Dockerfile. With a reachable container engine it builds
# the image and serves a model from it. Without one (these machines), it runs
# the recipe's runtime stage as a plain script: the package list the build
# stage computes (ldd + dpkg -S) must name installable Debian packages, and
# the files the runtime stage copies, laid out as in the image
# (/usr/local/bin, /usr/local/lib/hearth, the ENV lines), must serve a
# TorchScript model (C++ worker) and a Python handler (Python worker).
#   deploy/check_image_recipe.sh BUILD_DIR WORK_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK"
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  docker build -f "$ROOT/deploy/Dockerfile" -t hearth:check "$ROOT"
  echo "image built"
  exit 0
fi
echo "no container engine reachable: running the runtime stage as a script in $WORK"
# The build stage's package list, computed as the Dockerfile does.
for f in "$BUILD/bin/hearth" "$BUILD/bin/hearth-worker" "$BUILD/bin/hearth-launch"; do
  ldd "$f" | awk '/=> \// {print $3}'
done | sort -u | xargs -r realpath | { xargs -r dpkg -S 2>/dev/null || true; } | cut -d: -f1 | sort -u > "$WORK/runtime-packages"
extra=$(sed -n '/printf/,/runtime-packages;/p' "$ROOT/deploy/Dockerfile" | tr -d '\\' | tr ' ' '\n' |
        grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(printf|cat|s)$' || true)
printf '%s\n' $extra >> "$WORK/runtime-packages"
if ! apt-cache show $(cat "$WORK/runtime-packages") >/dev/null 2>&1; then
  while read -r pkg; do
    apt-cache show "$pkg" >/dev/null 2>&1 || { echo "runtime package $pkg is not in the Debian archive" >&2; exit 1; }
  done < "$WORK/runtime-packages"
fi
echo "$(wc -l < "$WORK/runtime-packages") runtime packages, all installable"
# The runtime stage's COPY and ENV lines, into a root of our own.
R="$WORK/root"
mkdir -p "$R/usr/local/bin" "$R/usr/local/lib/hearth"
cp "$BUILD"/bin/{hearth,hearth-worker,hearth-launch,hearth-archiver} "$R/usr/local/bin/"
cp -r "$BUILD/python" "$R/usr/local/lib/hearth/python"
cp "$BUILD/lib/libhearth_vision.so" "$R/usr/local/lib/hearth/"
grep -q "HEARTH_PYTHON_PATH=/usr/local/lib/hearth/python" "$ROOT/deploy/Dockerfile"
export HEARTH_PYTHON_PATH="$R/usr/local/lib/hearth/python" HEARTH_VISION_LIB="$R/usr/local/lib/hearth/libhearth_vision.so"
export PATH="$R/usr/local/bin:/usr/bin:/bin" TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR" "$WORK/mnt/models/model-store" "$WORK/mnt/models/config"
cd "$WORK"
/usr/bin/python3 - "$WORK/mnt/models/model-store" <<'PY'
import sys, torch
class Twice(torch.nn.Module):
    def forward(self, x):
        return x * 2
torch.jit.trace(Twice(), torch.ones(1)).save(sys.argv[1] + "/twice.pt")
open(sys.argv[1] + "/echo.py", "w").write("def handle(data, context):\n    return data and [r['body'] for r in data]\n")
PY
(cd mnt/models/model-store && hearth-archiver --model-name twice --version 1.0 --serialized-file twice.pt --handler tensor &&
 hearth-archiver --model-name echo --version 1.0 --handler echo.py)
cat > mnt/models/config/config.properties <<CFG
inference_address=http://127.0.0.1:18380
management_address=http://127.0.0.1:18381
metrics_address=http://127.0.0.1:18382
grpc_inference_port=18370
grpc_management_port=18371
disable_token_authorization=true
load_models=twice.mar,echo.mar
CFG
hearth --foreground --model-store mnt/models/model-store --ts-config mnt/models/config/config.properties \
  > hearth.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  if curl -sf -X POST -H 'Content-Type: application/json' -d '[1.5]' http://127.0.0.1:18380/predictions/twice >/dev/null 2>&1 &&
     curl -sf -X POST -H 'Content-Type: text/plain' -d 'hi' http://127.0.0.1:18380/predictions/echo >/dev/null 2>&1; then
    break
  fi
  kill -0 $PID 2>/dev/null || { cat hearth.log; exit 1; }
  sleep 0.2
done
twice=$(curl -sf -X POST -H 'Content-Type: application/json' -d '[1.5]' http://127.0.0.1:18380/predictions/twice)
echo_=$(curl -sf -X POST -H 'Content-Type: text/plain' -d 'hi' http://127.0.0.1:18380/predictions/echo)
[ "$(echo $twice | tr -d ' \n')" = "[3.0]" ] || { echo "twice answered: $twice"; cat hearth.log; exit 1; }
[ "$echo_" = "hi" ] || { echo "echo answered: $echo_"; cat hearth.log; exit 1; }
kill -TERM $PID; wait $PID || true
trap - EXIT
echo "runtime layout serves the C++ and the Python worker: ok"
