#!/usr/bin/env bash
# Both INT8 flows of the IPEX serving guide, end to end, with Hearth:
# FP32 TorchScript -> hearth-quantize -> hearth-archiver -> hearth (ipex_enable=true).
# Usage: examples/int8/run_example.sh [WORK_DIR]   (after ./run.sh or scripts/build.sh)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/../../build/bin
WORK=${1:-/tmp/hearth-int8-example}
mkdir -p "$WORK/model_store"
cd "$WORK"
/usr/bin/python3 "$HERE/make_models.py" "$WORK"

# ResNet50: static INT8 calibrated on images (the guide's per_tensor_symmetric).
"$BIN/hearth-quantize" --model rn50_fp32.pt --calibration-data calib_images/ --input-shape 1,3,224,224 \
  --qscheme per_tensor_symmetric --output rn50_int8_jit.pt
"$BIN/hearth-archiver" --model-name rn50_ipex_int8 --version 1.0 --serialized-file rn50_int8_jit.pt \
  --handler image_classifier --export-path model_store -f

# BERT: dynamic INT8 (int8 weights, activations quantized per call).
"$BIN/hearth-quantize" --model bert_fp32.pt --mode dynamic --input-shape 1,128 --input-dtype int64 \
  --output bert_int8_jit.pt
"$BIN/hearth-archiver" --model-name bert_ipex_int8 --version 1.0 --serialized-file bert_int8_jit.pt \
  --handler tensor --export-path model_store -f

cp "$HERE/config.properties" .
"$BIN/hearth" --stop >/dev/null 2>&1 || true
"$BIN/hearth" --start --ncs --model-store model_store --ts-config config.properties
curl -s -X POST "http://127.0.0.1:8081/models?url=rn50_ipex_int8.mar&initial_workers=1&synchronous=true"
curl -s -X POST "http://127.0.0.1:8081/models?url=bert_ipex_int8.mar&initial_workers=1&synchronous=true"
curl -s -T kitten.jpg http://127.0.0.1:8080/predictions/rn50_ipex_int8
/usr/bin/python3 - <<'PY'
import json, urllib.request
ids = [101] + [2000 + i for i in range(126)] + [102]
body = {"inputs": [{"data": ids, "dtype": "int64"}, {"data": [1] * 128, "dtype": "int64"},
                   {"data": [0] * 128, "dtype": "int64"}]}
req = urllib.request.Request("http://127.0.0.1:8080/predictions/bert_ipex_int8", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode())
PY
"$BIN/hearth" --stop
