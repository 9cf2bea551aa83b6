"""JSONEnvelope: {"instances": [...]} per request in, {"predictions": [...]}
(as JSON text) per request out. The instances of all requests form one
batch; {"b64": "..."} instances are decoded to bytes."""

import base64
import itertools
import json

from ts.torch_handler.request_envelope.base import BaseEnvelope


class JSONEnvelope(BaseEnvelope):
    _lengths = []

    def parse_input(self, data):
        batches = [self._instances(row) for row in data]
        self._lengths = [len(batch) for batch in batches]
        return list(itertools.chain.from_iterable(batches))

    def format_output(self, data):
        outputs, cursor = [], 0
        for length in self._lengths:
            outputs.append(json.dumps({"predictions": data[cursor:cursor + length]}))
            cursor += length
        return outputs

    @staticmethod
    def _instances(row):
        payload = row.get("data") or row.get("body") or row
        if isinstance(payload, (bytes, bytearray)):
            payload = json.loads(payload.decode("utf-8"))
        instances = list(payload["instances"])
        for i, instance in enumerate(instances):
            if isinstance(instance, dict) and list(instance.keys()) == ["b64"]:
                instances[i] = base64.b64decode(instance["b64"])
        return instances
