#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# from the parsers' own sources and runs each for a bounded time.
#   fuzz/run_fuzzers.sh [SECONDS_PER_TARGET] [BUILD_DIR]
# Exits non-zero when a target crashes; the crashing input is kept in BUILD_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER=${1:-20}
OUT=${2:-$ROOT/build/fuzz}
mkdir -p "$OUT"
CXX=${FUZZ_CXX:-clang++-14}
FLAGS=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$ROOT/src" -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DFMT_SHARED)
COMMON=("$ROOT/src/common/status.cc" "$ROOT/src/common/strings.cc" "$ROOT/src/common/json.cc"
        "$ROOT/src/common/ids.cc" "$ROOT/src/common/files.cc")
build() {  # name sources... -- libs...
  local name=$1; shift
  local srcs=() libs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  libs=("$@")
  if [ ! -x "$OUT/$name" ] || [ -n "$(find "$ROOT/src" "$ROOT/fuzz" -newer "$OUT/$name" -name '*.cc' -o -newer "$OUT/$name" -name '*.h' | head -1)" ]; then
    "$CXX" "${FLAGS[@]}" -o "$OUT/$name" "${srcs[@]}" "${COMMON[@]}" "${libs[@]}"
  fi
}
build fuzz_multipart "$ROOT/fuzz/fuzz_multipart.cc" "$ROOT/src/frontend/http/multipart.cc"
build fuzz_config "$ROOT/fuzz/fuzz_config.cc" "$ROOT/src/config/java_properties.cc" "$ROOT/src/config/server_config.cc"
build fuzz_archive "$ROOT/fuzz/fuzz_archive.cc" "$ROOT/src/archive/archive_reader.cc" "$ROOT/src/archive/manifest.cc" \
  "$ROOT/src/config/model_config.cc" -- -lzip -larchive -lyaml-cpp
build fuzz_http "$ROOT/fuzz/fuzz_http.cc" "$ROOT/src/frontend/http/multipart.cc"
status=0
for target in fuzz_multipart fuzz_config fuzz_archive fuzz_http; do
  corpus="$OUT/corpus_$target"
  mkdir -p "$corpus"
  seeds="$ROOT/fuzz/seeds/$target"
  echo "== $target (${SECONDS_PER}s)"
  if ! (cd "$OUT" && "./$target" -max_total_time="$SECONDS_PER" -max_len=65536 -rss_limit_mb=1024 \
          -print_final_stats=1 "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>"$OUT/$target.log"); then
    echo "$target FAILED; see $OUT/$target.log"
    tail -40 "$OUT/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$OUT/$target.log" | tail -2
  fi
done
exit $status
