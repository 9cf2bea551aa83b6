"""Requests into the shape TorchServe handlers expect, results back out.

Pure functions (no protocol objects beyond plain attributes), so they are
unit-testable without a server.
"""

import io
import json

# hearth::StatusCode values (src/common/status.h); never renumber.
STATUS_INTERNAL = 7
STATUS_RESOURCE_EXHAUSTED = 8
STATUS_PREDICTION_FAILED = 15
STATUS_UNIMPLEMENTED = 16  # 501: e.g. an explanation from a handler that cannot explain


def decode_value(content_type, value):
    """TorchServe's decoding of one input: exactly application/json -> parsed
    JSON (the raw bytes when it does not parse), text/* -> str, else bytes."""
    if content_type == "application/json" and value:
        try:
            return json.loads(value.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return value
    if content_type.startswith("text"):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def request_to_row(request):
    """One Request -> the dict a handler gets: {input name: decoded value}."""
    return {item.name: decode_value(item.content_type, item.value) for item in request.inputs}


class UnsupportedOutput(TypeError):
    """A handler returned something that has no wire form."""


def encode_value(value):
    """One handler result -> bytes: str as UTF-8, bytes as they are,
    tensors with torch.save, anything else as json.dumps(indent=2)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    try:
        return json.dumps(value, indent=2).encode("utf-8")
    except (TypeError, ValueError) as json_error:
        import torch  # only here: torch is imported by then anyway

        if isinstance(value, torch.Tensor):
            buffer = io.BytesIO()
            torch.save(value, buffer)
            return buffer.getvalue()
        raise UnsupportedOutput(f"{type(value).__name__} is not JSON serializable") from json_error
