#!/usr/bin/env bash
# Protocol cost, side by side in one run (issue 7): the same tensors through
# /predictions, KServe v2 JSON, KServe v2 binary and gRPC ModelInfer, at
# concurrency 8, for
#   tiny  y = 2x + 1 on 4 floats (protocol overhead dominates)
#   pool  channel means of a uint8 [1,3,224,224] tensor: ResNet50's input,
#         150 KB (parsing and copying dominate)
# 3 alternating rounds, medians. hearth-bench drives HTTP and gRPC alike
# (C++, keep-alive connections / one HTTP/2 connection per client).
# Usage: bench/kserve_bench.sh [OUT_DIR] [SECONDS_PER_RUN]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
SECS=${2:-5}
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" >/dev/null
cd "$OUT"
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
PORT_I=18180 PORT_M=18181 PORT_X=18182 PORT_G=18170 PORT_GM=18171
cat > kserve.properties <<CFG
inference_address=http://127.0.0.1:$PORT_I
management_address=http://127.0.0.1:$PORT_M
metrics_address=http://127.0.0.1:$PORT_X
grpc_inference_port=$PORT_G
grpc_management_port=$PORT_GM
enable_model_api=true
disable_token_authorization=true
CFG
# Request bodies: the same tensor in every form.
/usr/bin/python3 - <<'PY'
import json, struct
import numpy as np
def v2(name, dt, shape, flat):
    return {"inputs": [{"name": name, "datatype": dt, "shape": shape, "data": flat}]}
def binary(name, dt, shape, raw, path):
    head = json.dumps({"inputs": [{"name": name, "datatype": dt, "shape": shape,
                                   "parameters": {"binary_data_size": len(raw)}}],
                       "parameters": {"binary_data_output": True}}).encode()
    open(path, "wb").write(head + raw)
    open(path + ".len", "w").write(str(len(head)))
x = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
json.dump(v2("x", "FP32", [1, 4], x.flatten().tolist()), open("tiny_v2.json", "w"))
binary("x", "FP32", [1, 4], x.tobytes(), "tiny_v2.bin")
img = np.random.RandomState(0).randint(0, 256, (1, 3, 224, 224)).astype(np.uint8)
img[0].tofile("pool.raw")
json.dump(v2("x", "UINT8", [1, 3, 224, 224], img.flatten().tolist()), open("pool_v2.json", "w"))
binary("x", "UINT8", [1, 3, 224, 224], img.tobytes(), "pool_v2.bin")
PY
stop() { "$BIN/hearth" --stop >/dev/null 2>&1 || true; }
trap stop EXIT
stop
"$BIN/hearth" --start --ncs --model-store model_store --ts-config kserve.properties >/dev/null
for m in tiny pool; do
  curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=$m.mar&initial_workers=1&synchronous=true" >/dev/null
done
run() {  # model mode -> one JSON run
  local m=$1 mode=$2 common=(-c 8 --duration "$SECS" --warmup 200 --json)
  case $mode in
    predictions)
      if [ "$m" = tiny ]; then
        "$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/tiny" -i tiny.json "${common[@]}"
      else
        "$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/pool" -i pool.raw \
          --content-type application/octet-stream -H "X-Tensor-Dtype: uint8" -H "X-Tensor-Shape: 3,224,224" \
          "${common[@]}"
      fi ;;
    v2_json)
      "$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/v2/models/$m/infer" -i "${m}_v2.json" "${common[@]}" ;;
    v2_binary)
      "$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/v2/models/$m/infer" -i "${m}_v2.bin" \
        --content-type application/octet-stream -H "Inference-Header-Content-Length: $(cat "${m}_v2.bin.len")" \
        "${common[@]}" ;;
    grpc)
      "$BIN/hearth-bench" --grpc --target "127.0.0.1:$PORT_G" --model "$m" -i "${m}_v2.bin" \
        -H "Inference-Header-Content-Length: $(cat "${m}_v2.bin.len")" "${common[@]}" ;;
  esac
}
results="{"
for round in 1 2 3; do
  for m in tiny pool; do
    for mode in predictions v2_json v2_binary grpc; do
      r=$(run "$m" "$mode")
      results+="\"$round/$m/$mode\": $r,"
      echo "round $round $m $mode: $(echo "$r" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print("%.0f req/s p50 %.3f ms errors %d" % (d["throughput"], d["latency"]["p50_ms"], d["errors"]))')"
    done
  done
done
results="${results%,}}"
echo "$results" > kserve_bench.json
echo
echo "== medians of 3 rounds, concurrency 8 (ratio: throughput vs /predictions)"
/usr/bin/python3 - <<'PY'
import json, statistics
d = json.load(open("kserve_bench.json"))
for m, what in (("tiny", "y = 2x + 1, 4 floats"), ("pool", "uint8 [1,3,224,224], 150 KB")):
    print("%s (%s)" % (m, what))
    base = None
    for mode in ("predictions", "v2_json", "v2_binary", "grpc"):
        runs = [d["%d/%s/%s" % (r, m, mode)][0] for r in (1, 2, 3)]
        tput = statistics.median(x["throughput"] for x in runs)
        p50 = statistics.median(x["latency"]["p50_ms"] for x in runs)
        errors = sum(x["errors"] for x in runs)
        base = base or tput
        print("  %-12s %9.0f req/s  p50 %7.3f ms  x%.2f  errors %d" % (mode, tput, p50, tput / base, errors))
PY
