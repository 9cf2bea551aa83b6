#!/usr/bin/env bash
# The full ResNet50 comparison report (issue 9), one hearth-bench run:
#   plain          hearth, defaults (1 worker, all cores as intra-op threads)
#   ipex           ipex_enable=true (freeze, oneDNN fusion, channels_last)
#   bf16           ipex_enable=true with ipex_dtype: bfloat16 (model-config.yaml)
#   int8           the hearth-quantize INT8 model, ipex_enable=true
#   launcher 2x1   cpu_launcher_enable=true with 2 workers (one core each)
#   fastapi        the FastAPI + uvicorn peer (bench/peers) on the same model
#   raw            the model in a plain libtorch loop, with the same preprocessing
#                  (also optimized and INT8: each configuration's engine limit)
# at concurrency 1 and 4, alternating rounds, medians.
# Usage: bench/resnet_report.sh [OUT_DIR] [SECONDS_PER_LEVEL] [ROUNDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
SECS=${2:-15}
ROUNDS=${3:-2}
CORES=$(nproc)
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" >/dev/null
cd "$OUT"
[ -f rn50_int8.pt ] || "$BIN/hearth-quantize" --model rn50.pt --calibration-data calibration --output rn50_int8.pt \
  --qscheme per_tensor_symmetric --threads "$CORES" 2>/dev/null | tail -1
[ -f model_store/rn50_int8.mar ] || "$BIN/hearth-archiver" --model-name rn50_int8 --version 1.0 \
  --serialized-file rn50_int8.pt --handler image_classifier --export-path model_store >/dev/null
printf 'ipex_dtype: bfloat16\n' > bf16.yaml
[ -f model_store/rn50_bf16.mar ] || "$BIN/hearth-archiver" --model-name rn50_bf16 --version 1.0 \
  --serialized-file rn50.pt --handler image_classifier --config-file bf16.yaml --export-path model_store >/dev/null
PEER_PORT=19090
/usr/bin/python3 "$ROOT/bench/peers/fastapi_server.py" model_store/rn50.mar --port $PEER_PORT --threads "$CORES" \
  > fastapi.log 2>&1 &
PEER=$!
trap 'kill $PEER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PEER_PORT/ping" >/dev/null && break; sleep 0.2; done
"$BIN/hearth-bench" --url model_store/rn50.mar -i kitten.jpg -c 1,4 --duration "$SECS" --warmup 10 \
  --rounds "$ROUNDS" --raw-baseline --raw-iterations 100 --report-location reports/resnet50 \
  --compare "label=plain" "ipex_enable=true,label=ipex" "url=model_store/rn50_bf16.mar,ipex_enable=true,label=bf16" \
            "url=model_store/rn50_int8.mar,ipex_enable=true,label=int8" \
            "cpu_launcher_enable=true,workers=2,label=launcher 2x1" \
            "target=http://127.0.0.1:$PEER_PORT/predictions/rn50,pid=$PEER,label=fastapi" \
            "raw,optimize=true,label=raw ipex" "raw,optimize=true,bf16=true,label=raw bf16" \
            "raw,url=model_store/rn50_int8.mar,label=raw int8"
echo "report: $OUT/reports/resnet50/report.md"
