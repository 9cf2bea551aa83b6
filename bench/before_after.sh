#!/usr/bin/env bash
# This build against an earlier one, side by side in one hearth-bench run per
# model (the small CNN and the tiny MLP of small_models_bench.sh), 2 workers
# each, configurations alternating over rounds.
# Usage: bench/before_after.sh OLD_BIN_DIR [OUT_DIR] [SECONDS_PER_LEVEL] [ROUNDS] [LEVELS]
#   OLD_BIN_DIR: the earlier build's bin/ (hearth and hearth-worker), e.g. a
#   worktree of the earlier commit built with scripts/build.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OLD=${1:?usage: bench/before_after.sh OLD_BIN_DIR [OUT_DIR] [SECONDS] [ROUNDS] [LEVELS]}
OUT=${2:-/tmp/hearth-before-after}
SECS=${3:-8}
ROUNDS=${4:-3}
LEVELS=${5:-1,8,64}
mkdir -p "$OUT/model_store"
cd "$OUT"
/usr/bin/python3 "$ROOT/bench/make_small_models.py" "$OUT"
A="$BIN/hearth-archiver --version 1.0 --export-path model_store -f"
$A --model-name small_cnn --serialized-file small_cnn.pt --handler image_classifier \
   --extra-files index_to_name.json >/dev/null
$A --model-name mlp --serialized-file mlp.pt --handler tensor >/dev/null

old_pid=""
cleanup() { [ -n "$old_pid" ] && kill "$old_pid" 2>/dev/null || true; }
trap cleanup EXIT
# The earlier build serves MODEL on port 19380 with 2 workers.
start_old() {
  cat > old.properties <<EOF
inference_address=http://127.0.0.1:19380
management_address=http://127.0.0.1:19381
metrics_address=http://127.0.0.1:19382
model_store=$OUT/model_store
load_models=$1.mar
default_workers_per_model=2
EOF
  rm -rf old-logs && mkdir old-logs
  LOG_LOCATION=$OUT/old-logs "$OLD/hearth" --foreground -f old.properties --ncs --dt > old-server.log 2>&1 &
  old_pid=$!
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:19380/ping" | grep -q Healthy && \
      curl -sf "http://127.0.0.1:19381/models/$1" | grep -q '"status": "READY"' && return
    sleep 0.2
  done
  echo "the earlier build did not start (see $OUT/old-server.log)" >&2; exit 1
}
compare() {  # MODEL BODY WARMUP
  start_old "$1"
  "$BIN/hearth-bench" --url "model_store/$1.mar" -i "$2" -c "$LEVELS" --duration "$SECS" --warmup "$3" \
    --rounds "$ROUNDS" --report-location "reports/$1" \
    --compare "workers=2,label=after" "target=http://127.0.0.1:19380/predictions/$1,pid=$old_pid,label=before"
  kill "$old_pid"; wait "$old_pid" 2>/dev/null || true; old_pid=""
}
compare mlp mlp.json 500
compare small_cnn small.png 200
echo "reports: $OUT/reports/mlp/report.md $OUT/reports/small_cnn/report.md"
