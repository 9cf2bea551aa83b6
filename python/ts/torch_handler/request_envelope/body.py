"""BodyEnvelope: each request's "body" (or "data") is one row, answers unchanged."""

from ts.torch_handler.request_envelope.base import BaseEnvelope


class BodyEnvelope(BaseEnvelope):
    def parse_input(self, data):
        return [row.get("body") if row.get("body") is not None else row.get("data") for row in data]

    def format_output(self, data):
        return data
