#!/usr/bin/env bash
# Runs TorchServe's own Postman API suites (../shared/conformance, adapted to
# run offline) against Hearth, each suite with a fresh server and its own
# config, as TorchServe's regression run does.
#
#   run_conformance.sh BIN_DIR OUT_DIR [SUITE ...]
#
# SUITE "workflows" runs TorchServe's workflow suites
# (tests/conformance/workflows/run_workflow_suites.sh) after the kit's.
#
# Needs the kit beside the project (../shared/conformance), Debian's
# python3-torch/torchvision/pil/numpy, node + npm (newman comes from npm).
set -euo pipefail
BIN_DIR=$(cd "$1" && pwd)
OUT=$2
shift 2
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(management inference increased_timeout_inference https kf kf_https kfv2 kfv2_https management_kf explanation workflows)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KIT=${HEARTH_CONFORMANCE_KIT:-$ROOT/../shared/conformance}
if [ ! -x "$KIT/run.sh" ]; then
  # 77: ctest's SKIP_RETURN_CODE. The kit is test material kept outside the
  # project (docs/benchmarking.md#conformance says how to get it).
  echo "SKIPPED: conformance kit not found at $KIT. It lives beside the project as ../shared/conformance;" \
       "or point HEARTH_CONFORMANCE_KIT at a copy (see docs/operations.md, 'TorchServe's API suites')." >&2
  exit 77
fi
mkdir -p "$OUT"
if [ ! -f "$OUT/expected.json" ]; then
  "$KIT/make_models.sh" "$OUT" > "$OUT/make_models.log" 2>&1 || { cat "$OUT/make_models.log"; exit 1; }
fi
# Each suite's server gets its own TMPDIR (pid file, extraction root) and runs in $OUT/server.
export TMPDIR="$OUT/tmp"
mkdir -p "$TMPDIR" "$OUT/server"
cd "$OUT/server"
export HEARTH_BIN="$BIN_DIR/hearth"
export CONFORMANCE_OUT="$OUT"
trap '"$HEARTH_BIN" --stop >/dev/null 2>&1 || true' EXIT
KIT_SUITES=()
WORKFLOWS=0
for s in "${SUITES[@]}"; do
  if [ "$s" = workflows ]; then WORKFLOWS=1; else KIT_SUITES+=("$s"); fi
done
status=0
if [ ${#KIT_SUITES[@]} -gt 0 ]; then
  HEARTH_RESTART_CMD="$KIT/tools/restart_example.sh" HEARTH_STOP_CMD="$KIT/tools/restart_example.sh --stop" \
    "$KIT/run.sh" "${KIT_SUITES[@]}" || status=$?
fi
if [ $WORKFLOWS = 1 ]; then
  "$ROOT/tests/conformance/workflows/run_workflow_suites.sh" "$BIN_DIR" "$OUT" || status=1
fi
exit $status
