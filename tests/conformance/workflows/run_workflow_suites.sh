#!/usr/bin/env bash
# TorchServe's workflow Postman suites (the conformance kit's
# upstream/workflow_api_test_collection.json and
# workflow_inference_collection.json, unchanged) against Hearth, with the
# archives they download from S3 replaced by Hearth's own equivalents
# (make_workflows.py) served from a local static server, so a download, a
# download conflict and a missing URL behave as upstream.
#
#   run_workflow_suites.sh BIN_DIR OUT_DIR
#
# OUT_DIR is the conformance output (make_models.sh's models, newman under
# OUT_DIR/newman: run_conformance.sh makes both). Exit 77 without the kit.
set -euo pipefail
BIN_DIR=$(cd "$1" && pwd)
OUT=$2
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
KIT=${HEARTH_CONFORMANCE_KIT:-$ROOT/../shared/conformance}
HANDLER_KIT=$KIT/python-handlers/upstream/examples/Workflows/dog_breed_classification
if [ ! -f "$KIT/upstream/workflow_api_test_collection.json" ] || [ ! -d "$HANDLER_KIT" ]; then
  echo "SKIPPED: conformance kit (workflow suites, handler kit) not found under $KIT" >&2
  exit 77
fi
NEWMAN=$OUT/newman/node_modules/.bin/newman
[ -x "$NEWMAN" ] && [ -f "$OUT/model_store/densenet161.mar" ] || {
  echo "run_workflow_suites.sh: run run_conformance.sh first (it makes $OUT's models and installs newman)" >&2
  exit 1
}
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WAR_PORT=$(free_port)
WF=$OUT/workflows
rm -rf "$WF"
mkdir -p "$WF/inputs" "$WF/wf_store" "$WF/server" "$WF/results" "$WF/model_store"
cp "$OUT/inputs/kitten.jpg" "$WF/inputs/"
cp "$OUT/model_store/densenet161.mar" "$WF/model_store/"
/usr/bin/python3 "$ROOT/tests/conformance/workflows/make_workflows.py" "$KIT" "$WF" "$BIN_DIR/hearth-archiver" \
  "$BIN_DIR/hearth-workflow-archiver" "http://127.0.0.1:$WAR_PORT"
/usr/bin/python3 -m http.server "$WAR_PORT" --bind 127.0.0.1 --directory "$WF/wars" >"$WF/results/static.log" 2>&1 &
STATIC=$!
PRED=$(free_port); MGMT=$(free_port); METRICS=$(free_port)
cat >"$WF/config.properties" <<PROPS
inference_address=http://127.0.0.1:$PRED
management_address=http://127.0.0.1:$MGMT
metrics_address=http://127.0.0.1:$METRICS
enable_model_api=true
disable_token_authorization=true
install_py_dep_per_model=true
grpc_inference_port=$(free_port)
grpc_management_port=$(free_port)
PROPS
cd "$WF/server"
export TMPDIR=$WF/server PIP_NO_INDEX=1
"$BIN_DIR/hearth" --start --ncs --model-store "$WF/model_store" --workflow-store "$WF/wf_store" \
  --ts-config "$WF/config.properties" >"$WF/results/hearth.log" 2>&1
trap '"$BIN_DIR/hearth" --stop >/dev/null 2>&1 || true; kill $STATIC 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$WAR_PORT/densenet_wf.war" -o /dev/null && break; sleep 0.1; done
failed=0
for suite in workflow_api_test_collection:workflow_data workflow_inference_collection:workflow_inference_data; do
  collection=${suite%%:*}
  data=${suite##*:}
  if "$NEWMAN" run "$KIT/upstream/$collection.json" -e "$KIT/data/environment.json" -d "$WF/data/$data.json" \
      --env-var protocol=http --env-var hostname=127.0.0.1 --env-var "pred-port=$PRED" --env-var "mgmt-port=$MGMT" \
      --env-var "metric-port=$METRICS" --timeout-request 300000 -r cli,json \
      --reporter-json-export "$WF/results/$collection.json" >"$WF/results/$collection.log" 2>&1; then
    echo "$collection: PASS ($(grep -c '✓' "$WF/results/$collection.log") assertions)"
  else
    echo "$collection: FAIL (newman's report: $WF/results/$collection.log)"
    grep -E '✗|[0-9]+\. (AssertionError|Error)' "$WF/results/$collection.log" | head -20 || true
    failed=1
  fi
done
exit $failed
