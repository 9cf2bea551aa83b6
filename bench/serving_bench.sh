#!/usr/bin/env bash
# Serving-core benchmark (issue: the Hearth server), side by side in one run:
#  1. ResNet50, batch 1, concurrency 4: Hearth (1 worker, all cores as intra-op
#     threads) vs the raw libtorch loop with the same threads, forward only and
#     with the image_classifier preprocessing of the same JPEG.
#  2. y = 2x + 1: requests/s and mean latency at concurrency 1 and 8, with wrk
#     and with hearth-bench.
#  3. Cold start: `hearth --start` to ResNet50's first answered prediction.
# Usage: bench/serving_bench.sh [OUT_DIR]   (default /tmp/hearth-bench)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
CORES=$(nproc)
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" >/dev/null
cd "$OUT"
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
PORT_I=18180 PORT_M=18181 PORT_X=18182
cat > bench.properties <<CFG
inference_address=http://127.0.0.1:$PORT_I
management_address=http://127.0.0.1:$PORT_M
metrics_address=http://127.0.0.1:$PORT_X
enable_model_api=true
disable_token_authorization=true
CFG
stop() { "$BIN/hearth" --stop >/dev/null 2>&1 || true; }
trap stop EXIT
stop

echo "== 1. ResNet50, batch 1, $CORES threads (3 alternating rounds; medians)"
"$BIN/hearth" --start --ncs --model-store model_store --ts-config bench.properties >/dev/null
curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=rn50.mar&initial_workers=1&synchronous=true" >/dev/null
raw="[" raw_pre="[" served="["
for round in 1 2 3; do
  sep=$([ $round = 1 ] && echo "" || echo ",")
  raw+="$sep$("$BIN/hearth-bench" --raw rn50.pt --threads "$CORES" --iterations 40 --json)"
  raw_pre+="$sep$("$BIN/hearth-bench" --raw rn50.pt --threads "$CORES" --iterations 40 --input kitten.jpg --json)"
  served+="$sep$("$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/rn50" --input kitten.jpg \
                 --concurrency 4 --requests 60 --warmup 8 --json)"
done
raw+="]" raw_pre+="]" served+="]"
curl -sf -X DELETE "http://127.0.0.1:$PORT_M/models/rn50" >/dev/null

echo "== 2. y = 2x + 1"
curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=tiny.mar&initial_workers=$CORES&synchronous=true" >/dev/null
cat > post.lua <<'LUA'
wrk.method = "POST"
wrk.body = "[1.0, 2.0, 3.0, 4.0]"
wrk.headers["Content-Type"] = "application/json"
LUA
wrk1=$(wrk -t1 -c1 -d10s -s post.lua "http://127.0.0.1:$PORT_I/predictions/tiny" | grep -E "Requests/sec|Latency")
wrk8=$(wrk -t2 -c8 -d10s -s post.lua "http://127.0.0.1:$PORT_I/predictions/tiny" | grep -E "Requests/sec|Latency")
hb=$("$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/tiny" --input tiny.json \
     --concurrency 1,8 --duration 10 --warmup 500 --json)
stop

echo "== 3. cold start"
start=$(date +%s.%N)
"$BIN/hearth" --start --ncs --model-store model_store --ts-config bench.properties --models rn50=rn50.mar >/dev/null
until curl -sf -o /dev/null -T kitten.jpg "http://127.0.0.1:$PORT_I/predictions/rn50"; do sleep 0.02; done
end=$(date +%s.%N)
stop

/usr/bin/python3 - "$raw" "$raw_pre" "$served" "$hb" "$start" "$end" <<'PY'
import json, sys
import statistics
raw_runs, pre_runs, served_runs, hb = (json.loads(a) for a in sys.argv[1:5])
start, end = float(sys.argv[5]), float(sys.argv[6])
raw = statistics.median(r["items_per_s"] for r in raw_runs)
pre = statistics.median(r["items_per_s"] for r in pre_runs)
served = statistics.median(r[0]["throughput"] for r in served_runs)
p50 = statistics.median(r[0]["latency"]["p50_ms"] for r in served_runs)
print("ResNet50 raw libtorch loop (forward only):      %6.2f images/s  rounds %s" % (
    raw, [round(r["items_per_s"], 2) for r in raw_runs]))
print("ResNet50 raw loop incl. decode+preprocess:       %6.2f images/s  (preprocess %.1f ms)" % (
    pre, statistics.median(r["preprocess_ms_mean"] for r in pre_runs)))
print("ResNet50 via Hearth, c=4 (JPEG over HTTP):       %6.2f images/s  p50 %.1f ms  rounds %s" % (
    served, p50, [round(r[0]["throughput"], 2) for r in served_runs]))
print("  ratio Hearth / raw forward-only:       %.3f" % (served / raw))
print("  ratio Hearth / raw with preprocessing: %.3f" % (served / pre))
raw, raw_pre, served = raw_runs, pre_runs, served_runs
for r in hb:
    print("tiny model, hearth-bench c=%d: %8.0f req/s, mean %.3f ms, p99 %.3f ms" % (
        r["concurrency"], r["throughput"], r["latency"]["mean_ms"], r["latency"]["p99_ms"]))
print("cold start to first ResNet50 answer: %.2f s" % (end - start))
json.dump({"raw": raw, "raw_with_preprocess": raw_pre, "served": served, "tiny": hb, "cold_start_s": end - start},
          open("serving_bench.json", "w"), indent=2)
PY
echo "wrk c=1: $(echo "$wrk1" | tr -s ' ' | tr '\n' ' ')"
echo "wrk c=8: $(echo "$wrk8" | tr -s ' ' | tr '\n' ' ')"
