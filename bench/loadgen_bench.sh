#!/usr/bin/env bash
# The load generator must not be the bottleneck (issue 9): against the same
# server and trivial model (y = 2x + 1, tensor handler), compare hearth-bench
# with ab and wrk at concurrency 1 and 8: the request rate each measures and
# each tool's own CPU time per request (user + system, from /usr/bin/time).
# All three use one thread and keep-alive connections. 3 alternating rounds,
# medians. Usage: bench/loadgen_bench.sh [OUT_DIR] [REQUESTS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
N=${2:-20000}
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" >/dev/null
cd "$OUT"
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
PORT_I=18180 PORT_M=18181 PORT_X=18182
cat > loadgen.properties <<CFG
inference_address=http://127.0.0.1:$PORT_I
management_address=http://127.0.0.1:$PORT_M
metrics_address=http://127.0.0.1:$PORT_X
enable_model_api=true
disable_token_authorization=true
hearth_grpc_enable=false
CFG
stop() { "$BIN/hearth" --stop >/dev/null 2>&1 || true; }
trap stop EXIT
stop
"$BIN/hearth" --start --ncs --model-store model_store --ts-config loadgen.properties >/dev/null
curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=tiny.mar&initial_workers=1&synchronous=true" >/dev/null
URL=http://127.0.0.1:$PORT_I/predictions/tiny
printf '[1.0, 2.0, 3.0, 4.0]' > body.json
cat > post.lua <<'LUA'
wrk.method = "POST"
wrk.body = "[1.0, 2.0, 3.0, 4.0]"
wrk.headers["Content-Type"] = "application/json"
LUA
# Warm the server up.
ab -q -k -n 2000 -c 8 -p body.json -T application/json "$URL" >/dev/null
timed() { /usr/bin/time -f "%U %S" -o time.txt "$@" > out.txt 2>&1; awk '{print $1 + $2}' time.txt; }
echo "tool c round req/s cpu_s requests" > loadgen.txt
for round in 1 2 3; do
  for c in 1 8; do
    cpu=$(timed ab -q -k -n "$N" -c "$c" -p body.json -T application/json "$URL")
    rps=$(awk '/Requests per second/ {print $4}' out.txt)
    echo "ab $c $round $rps $cpu $N" >> loadgen.txt
    secs=$(/usr/bin/python3 -c "import math; print(max(2, math.ceil($N / max(1.0, $rps))))")  # wrk takes whole seconds
    cpu=$(timed wrk -t1 -c "$c" -d "${secs}s" -s post.lua "$URL")
    rps=$(awk '/Requests\/sec/ {print $2}' out.txt)
    n=$(awk '/requests in/ {print $1}' out.txt)
    echo "wrk $c $round $rps $cpu $n" >> loadgen.txt
    cpu=$(timed "$BIN/hearth-bench" --target "$URL" -i body.json -c "$c" -r "$N" --warmup 0 --json)
    rps=$(/usr/bin/python3 -c "import json; print(json.load(open('out.txt'))[0]['throughput'])")
    echo "hearth-bench $c $round $rps $cpu $N" >> loadgen.txt
  done
done
/usr/bin/python3 - <<'PY'
import statistics
rows = [l.split() for l in open("loadgen.txt").read().splitlines()[1:]]
med = {}
for tool in ("ab", "wrk", "hearth-bench"):
    for c in ("1", "8"):
        sel = [r for r in rows if r[0] == tool and r[1] == c]
        rps = statistics.median(float(r[3]) for r in sel)
        cpu_us = statistics.median(float(r[4]) * 1e6 / float(r[5]) for r in sel)
        med[tool, c] = (rps, cpu_us)
print("medians of 3 rounds, y = 2x + 1 via /predictions")
print("%-13s %3s %10s %14s" % ("tool", "c", "req/s", "CPU us/request"))
for (tool, c), (rps, cpu) in med.items():
    print("%-13s %3s %10.0f %14.1f" % (tool, c, rps, cpu))
for c in ("1", "8"):
    h, w, a = med["hearth-bench", c], med["wrk", c], med["ab", c]
    print("c=%s: hearth-bench rate / wrk rate %.3f; CPU per request vs wrk x%.2f, vs ab x%.2f"
          % (c, h[0] / w[0], h[1] / w[1], h[1] / a[1]))
PY
