#!/usr/bin/env bash
# ipex_enable and INT8 benchmark, side by side in one run, 2 threads:
#   ResNet50  plain vs ipex_enable-optimized vs INT8 (hearth-quantize), batch 1 and 8 (raw loops)
#   BERT-base-shaped (seq 128)  plain vs optimized vs dynamic INT8 vs static INT8, batch 1 and 8
#   Hearth serving ResNet50 plain / ipex_enable / INT8 at concurrency 4, vs the raw loops
# Usage: bench/optimize_bench.sh [OUT_DIR] [--no-bert]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
BERT=1
[ "${2:-}" = --no-bert ] && BERT=0
THREADS=2
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" $([ $BERT = 1 ] && echo --bert) >/dev/null
cd "$OUT"
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
raw() {  # model batch [extra args] -> items/s
  "$BIN/hearth-bench" --raw "$1" --threads $THREADS --batch "$2" --iterations "${ITER:-20}" --json "${@:3}" 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["items_per_s"])'
}
echo "== quantizing ResNet50 (static, calibration/)"
[ -f rn50_int8.pt ] || "$BIN/hearth-quantize" --model rn50.pt --calibration-data calibration --output rn50_int8.pt \
  --qscheme per_tensor_symmetric --threads $THREADS 2>/dev/null | tail -3
echo "== ResNet50 raw loops (images/s, $THREADS threads)"
for b in 1 8; do
  p=$(raw rn50.pt $b); o=$(raw rn50.pt $b --optimize); q=$(raw rn50_int8.pt $b)
  echo "batch $b: plain $p  optimized $o (x$(echo "$o/$p" | bc -l | cut -c1-4))  INT8 $q (x$(echo "$q/$p" | bc -l | cut -c1-4), x$(echo "$q/$o" | bc -l | cut -c1-4) over optimized)"
done
if [ $BERT = 1 ]; then
  echo "== quantizing BERT-base-shaped (dynamic and static)"
  [ -f bert_dyn_int8.pt ] || "$BIN/hearth-quantize" --model bert_base.pt --mode dynamic --input-shape 1,128 \
    --input-dtype int64 --calibration-data random:16 --output bert_dyn_int8.pt --threads $THREADS 2>/dev/null | tail -2
  [ -f bert_static_int8.pt ] || "$BIN/hearth-quantize" --model bert_base.pt --mode static --input-shape 1,128 \
    --input-dtype int64 --calibration-data random:16 --output bert_static_int8.pt --threads $THREADS 2>/dev/null | tail -2
  echo "== BERT-base-shaped raw loops (sequences/s, seq 128, $THREADS threads)"
  for b in 1 8; do
    ITER=8
    p=$(ITER=8 raw bert_base.pt $b --shape 128 --input-dtype int64)
    o=$(ITER=8 raw bert_base.pt $b --shape 128 --input-dtype int64 --optimize)
    d=$(ITER=8 raw bert_dyn_int8.pt $b --shape 128 --input-dtype int64)
    s=$(ITER=8 raw bert_static_int8.pt $b --shape 128 --input-dtype int64)
    echo "batch $b: plain $p  optimized $o (x$(echo "$o/$p" | bc -l | cut -c1-4))  dynamic INT8 $d (x$(echo "$d/$p" | bc -l | cut -c1-4))  static INT8 $s (x$(echo "$s/$p" | bc -l | cut -c1-4))"
  done
fi
echo "== Hearth serving ResNet50, 1 worker x $THREADS threads, concurrency 4 (images/s)"
[ -f model_store/rn50_int8.mar ] || "$BIN/hearth-archiver" --model-name rn50_int8 --version 1.0 \
  --serialized-file rn50_int8.pt --handler image_classifier --archive-format zip-store --export-path model_store >/dev/null
PORT_I=18380 PORT_M=18381
for mode in plain ipex int8; do
  {
    echo "inference_address=http://127.0.0.1:$PORT_I"
    echo "management_address=http://127.0.0.1:$PORT_M"
    echo "metrics_address=http://127.0.0.1:18382"
    echo "enable_model_api=true"
    echo "disable_token_authorization=true"
    [ $mode = plain ] || echo "ipex_enable=true"
  } > opt_$mode.properties
  "$BIN/hearth" --stop >/dev/null 2>&1 || true
  "$BIN/hearth" --start --ncs --model-store model_store --ts-config opt_$mode.properties >/dev/null
  model=rn50; [ $mode = int8 ] && model=rn50_int8
  curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=$model.mar&initial_workers=1&synchronous=true" >/dev/null
  served=$("$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/$model" --input kitten.jpg \
    --concurrency 4 --requests 80 --warmup 8 --json | /usr/bin/python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)[0]["throughput"])')
  "$BIN/hearth" --stop >/dev/null
  case $mode in
    plain) r=$(raw rn50.pt 1 --input kitten.jpg) ;;
    ipex) r=$(raw rn50.pt 1 --input kitten.jpg --optimize) ;;
    int8) r=$(raw rn50_int8.pt 1 --input kitten.jpg) ;;
  esac
  echo "$mode: Hearth $served, raw loop with the same JPEG preprocessing $r (ratio $(echo "$served/$r" | bc -l | cut -c1-4))"
done
