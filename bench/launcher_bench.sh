#!/usr/bin/env bash
# CPU launcher benchmark: ResNet50 throughput, side by side, alternating rounds:
#   A  2 workers under the launcher (disjoint cores, 1 thread each, libomp + tcmalloc)
#   B  2 workers unpinned, each with all cores as threads (the naive default)
#   C  1 worker with all cores as threads
#   D  2 workers unpinned with Hearth's default thread budget (cores / workers)
#   R  the raw engine limit: 2 pinned processes (hearth-launch) each running
#      the libtorch loop with 1 thread (with the same JPEG decode and
#      preprocessing as the handler), throughputs summed
# Usage: bench/launcher_bench.sh [OUT_DIR] [ROUNDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-/tmp/hearth-bench}
ROUNDS=${2:-2}
CORES=$(nproc)
mkdir -p "$OUT"
/usr/bin/python3 "$ROOT/bench/make_bench_models.py" "$OUT" >/dev/null
cd "$OUT"
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
PORT_I=18280 PORT_M=18281
base="inference_address=http://127.0.0.1:$PORT_I
management_address=http://127.0.0.1:$PORT_M
metrics_address=http://127.0.0.1:18282
enable_model_api=true
disable_token_authorization=true"
printf '%s\ncpu_launcher_enable=true\n' "$base" > A.properties
printf '%s\nhearth_threads_per_worker=%s\n' "$base" "$CORES" > B.properties
printf '%s\n' "$base" > C.properties
printf '%s\n' "$base" > D.properties
stop() { "$BIN/hearth" --stop >/dev/null 2>&1 || true; }
trap stop EXIT
stop
run_config() {  # name workers
  "$BIN/hearth" --start --ncs --model-store model_store --ts-config "$1.properties" >/dev/null
  curl -sf -X POST "http://127.0.0.1:$PORT_M/models?url=rn50.mar&initial_workers=$2&synchronous=true" >/dev/null
  "$BIN/hearth-bench" --target "http://127.0.0.1:$PORT_I/predictions/rn50" --input kitten.jpg \
    --concurrency 4 --requests 60 --warmup 8 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["throughput"])'
  stop
}
results=""
for round in $(seq "$ROUNDS"); do
  a=$(run_config A 2); b=$(run_config B 2); c=$(run_config C 1); d=$(run_config D 2)
  r=$("$BIN/hearth-launch" --ninstances 2 --log-path "$OUT/launch-logs" -- "$BIN/hearth-bench" --raw rn50.pt \
        --threads 1 --iterations 20 --input kitten.jpg --json >/dev/null; cat "$OUT"/launch-logs/run_*_instance_*.log |
      /usr/bin/python3 -c 'import sys,json,re; t=sys.stdin.read(); print(sum(float(x) for x in re.findall(r"\"items_per_s\": ([0-9.]+)", t)))')
  rm -rf "$OUT/launch-logs"
  echo "round $round: A=$a B=$b C=$c D=$d R=$r"
  results+="$a $b $c $d $r"$'\n'
done
echo "$results" | /usr/bin/python3 -c '
import sys, statistics
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
cols = list(zip(*rows))
a, b, c, d, r = (statistics.median(x) for x in cols)
print("ResNet50 images/s (median of %d rounds), 2 CPUs, concurrency 4:" % len(rows))
print("  A launcher, 2 workers x 1 pinned thread:      %6.2f  (1.00)" % a)
print("  B 2 workers x %d threads, unpinned (naive):    %6.2f  (%.2f of A)" % ('"$CORES"', b, b / a))
print("  C 1 worker x %d threads:                       %6.2f  (%.2f of A)" % ('"$CORES"', c, c / a))
print("  D 2 workers, Hearth default budget, unpinned: %6.2f  (%.2f of A)" % (d, d / a))
print("  R raw: 2 pinned libtorch loops, 1 thread each: %6.2f  (A is %.2f of R)" % (r, a / r))
'
