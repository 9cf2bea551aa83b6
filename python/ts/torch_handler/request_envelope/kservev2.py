"""KServev2Envelope (Open Inference Protocol): the first request's "inputs"
are the rows (each input's data reshaped to its shape, BYTES inputs as
their first element); the answer names one output per row after its input."""

import json

import numpy as np

from ts.torch_handler.request_envelope.base import BaseEnvelope

_DATATYPES = {
    "bool": "BOOL", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
    "float16": "FP16", "float32": "FP32", "float64": "FP64",
}


def _to_datatype(dtype):
    return _DATATYPES.get(str(dtype), "BYTES")


class KServev2Envelope(BaseEnvelope):
    def parse_input(self, data):
        bodies = [row.get("data") or row.get("body") for row in data]
        if isinstance(bodies[0], (bytes, bytearray)):
            bodies = [json.loads(b.decode("utf-8")) for b in bodies]
        request = bodies[0]
        names = []
        for item in request["inputs"]:
            if item.get("datatype") == "BYTES":
                item["data"] = item["data"][0]
            else:
                item["data"] = np.array(item["data"]).reshape(tuple(item["shape"])).tolist()
            names.append(item.get("name"))
        self._input_names = names
        request_id = request.get("id")
        self._request_id = request_id if isinstance(request_id, str) and request_id.strip() else None
        return request["inputs"]

    def format_output(self, data):
        context = self.context
        model = ((getattr(context, "manifest", None) or {}).get("model") or {})
        request_id = self._request_id
        if request_id is None and hasattr(context, "get_request_id"):
            request_id = context.get_request_id(0)
        outputs = []
        for i, item in enumerate(data):
            flat = np.array(item).flatten()
            name = self._input_names[i] if i < len(self._input_names) else f"output-{i}"
            outputs.append({"name": name, "shape": list(flat.shape), "datatype": _to_datatype(flat.dtype),
                            "data": flat.tolist()})
        return [{"id": request_id, "model_name": model.get("modelName"), "model_version": model.get("modelVersion"),
                 "outputs": outputs}]
