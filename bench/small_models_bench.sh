#!/usr/bin/env bash
# Per-request overhead (issue 19), side by side in one hearth-bench run:
#  1. a small image CNN with the built-in image_classifier (32x32 PNG in,
#     TorchServe's Resize 256 / CenterCrop 224 / normalize, top-5 out);
#  2. a tiny MLP (16 -> 64 -> 4, JSON tensor in, tensor handler);
#  3. batching for the small CNN: batch 8 closing after max_batch_delay vs
#     adaptive closing, beside batch 1;
# each on Hearth (2 workers x 1 thread; also with hearth_io_spin_us=50, the
# I/O thread polling before it sleeps) and on the FastAPI + uvicorn peer
# (bench/peers, 2 workers x 1 thread), at concurrency 1, 8 and 64.
# Usage: bench/small_models_bench.sh [OUT_DIR] [SECONDS_PER_LEVEL] [ROUNDS] [LEVELS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-smallbench}
SECS=${2:-8}
ROUNDS=${3:-2}
LEVELS=${4:-1,8,64}
mkdir -p "$OUT/model_store"
cd "$OUT"
/usr/bin/python3 "$ROOT/bench/make_small_models.py" "$OUT"
A="$BIN/hearth-archiver --version 1.0 --export-path model_store -f"
$A --model-name small_cnn --serialized-file small_cnn.pt --handler image_classifier \
   --extra-files index_to_name.json >/dev/null
$A --model-name mlp --serialized-file mlp.pt --handler tensor >/dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pkill -f "fastapi_server:create_app" 2>/dev/null || true; }
trap cleanup EXIT
start_peer() {  # MAR PORT HANDLER
  /usr/bin/python3 "$ROOT/bench/peers/fastapi_server.py" "$1" --port "$2" --threads 1 --workers 2 --handler "$3" \
    > "peer-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$2/ping" >/dev/null && return; sleep 0.2; done
  echo "peer on $2 did not start" >&2; exit 1
}
# Hearth against the peer on one archive: MAR BODY PEER_PORT PEER_HANDLER WARMUP REPORT
versus_peer() {
  start_peer "model_store/$1.mar" "$3" "$4"
  local peer=${pids[-1]}
  "$BIN/hearth-bench" --url "model_store/$1.mar" -i "$2" -c "$LEVELS" --duration "$SECS" --warmup "$5" \
    --rounds "$ROUNDS" --report-location "reports/$6" \
    --compare "workers=2,label=hearth" "workers=2,hearth_io_spin_us=50,label=hearth spin 50us" \
              "target=http://127.0.0.1:$3/predictions/$1,pid=$peer,label=fastapi 2x1"
  kill "$peer"; pkill -f "fastapi_server:create_app" || true; sleep 1
}
versus_peer small_cnn small.png 19291 image_classifier 200 small_cnn
versus_peer mlp mlp.json 19292 tensor 500 mlp
echo "reports: $OUT/reports/small_cnn/report.md $OUT/reports/mlp/report.md"

# 3. Batching for the small CNN: batch 8 with TorchServe's closing (wait up to
#    max_batch_delay for batch-mates) vs adaptive closing (an idle worker takes
#    what is queued at once), beside batch 1, at c=1 and c=64.
"$BIN/hearth-bench" --url model_store/small_cnn.mar -i small.png -c 1,64 --duration "$SECS" --warmup 200 \
  --rounds "$ROUNDS" --report-location reports/batching \
  --compare "workers=2,label=batch 1" \
            "workers=2,batch_size=8,batch_delay=20,label=batch 8 delay 20ms" \
            "workers=2,batch_size=8,batch_delay=20,batch_closing=adaptive,label=batch 8 adaptive"
echo "report: $OUT/reports/batching/report.md"
