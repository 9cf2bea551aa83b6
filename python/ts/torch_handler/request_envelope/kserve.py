"""KServeEnvelope (KServe v1): the first request's {"instances": [...]} are
the rows; the answer is [{"predictions": [...]}]."""

import json

from ts.torch_handler.request_envelope.base import BaseEnvelope


class KServeEnvelope(BaseEnvelope):
    def parse_input(self, data):
        payloads = [row.get("data") or row.get("body") for row in data]
        payload = payloads[0]
        if isinstance(payload, (bytes, bytearray)):
            payload = json.loads(payload.decode("utf-8"))
        self._inputs = payload.get("instances")
        return self._inputs

    def format_output(self, data):
        return [{"predictions": data}]
