#!/usr/bin/env bash
# The same small image CNN served three ways, side by side in one hearth-bench
# run (issue 14): Hearth's C++ worker with the built-in image_classifier
# (TorchScript); Hearth's Python worker with a custom handler file (the same
# TorchScript model) that keeps TorchServe's default transforms (they run in
# Hearth's C++ preprocessing) and one with transforms of its own (they run in
# torchvision); the eager model (--model-file + state_dict, built-in
# image_classifier); and the FastAPI + uvicorn peer (bench/peers). Two workers with one thread each everywhere;
# a 32x32 PNG through TorchServe's Resize 256 / CenterCrop 224 / normalize.
# Usage: bench/python_worker_bench.sh [OUT_DIR] [SECONDS_PER_LEVEL] [ROUNDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-pybench}
SECS=${2:-10}
ROUNDS=${3:-2}
mkdir -p "$OUT/model_store"
cd "$OUT"
# small_cnn.pt / .pth, small.png, index_to_name.json; small_cnn.py is the
# eager model's definition file.
/usr/bin/python3 "$ROOT/bench/make_small_models.py" "$OUT"
cp "$ROOT/bench/small_cnn.py" .
A="$BIN/hearth-archiver --version 1.0 --extra-files index_to_name.json --export-path model_store -f"
$A --model-name small_cnn --serialized-file small_cnn.pt --handler image_classifier >/dev/null
$A --model-name small_cnn_py --serialized-file small_cnn.pt --handler "$ROOT/bench/handlers/small_classifier_handler.py" >/dev/null
$A --model-name small_cnn_pytf --serialized-file small_cnn.pt --handler "$ROOT/bench/handlers/custom_transforms_handler.py" >/dev/null
$A --model-name small_cnn_eager --model-file small_cnn.py --serialized-file small_cnn.pth --handler image_classifier >/dev/null

PEER_PORT=19191
/usr/bin/python3 "$ROOT/bench/peers/fastapi_server.py" model_store/small_cnn.mar --port $PEER_PORT --threads 1 \
  --workers 2 > fastapi.log 2>&1 &
PEER=$!
trap 'kill $PEER 2>/dev/null || true; pkill -f "fastapi_server:create_app" 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PEER_PORT/ping" >/dev/null && break; sleep 0.2; done
"$BIN/hearth-bench" --url model_store/small_cnn.mar -i small.png -c 1,8 --duration "$SECS" --warmup 50 \
  --rounds "$ROUNDS" --report-location reports/python_worker \
  --compare "workers=2,label=hearth C++ built-in" \
            "url=model_store/small_cnn_py.mar,workers=2,label=hearth Python custom handler" \
            "url=model_store/small_cnn_pytf.mar,workers=2,label=hearth Python own transforms" \
            "url=model_store/small_cnn_eager.mar,workers=2,label=hearth Python eager model" \
            "target=http://127.0.0.1:$PEER_PORT/predictions/small_cnn,pid=$PEER,label=fastapi 2x1"
echo "report: $OUT/reports/python_worker/report.md"
