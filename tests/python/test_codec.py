import json

import pytest
import torch

from hearth_worker import codec


def test_json_body_is_parsed_and_falls_back_to_bytes():
    assert codec.decode_value("application/json", b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert codec.decode_value("application/json", b"{not json") == b"{not json"


def test_text_becomes_str_and_other_types_stay_bytes():
    assert codec.decode_value("text/plain", "héllo".encode()) == "héllo"
    assert codec.decode_value("image/jpeg", b"\xff\xd8") == b"\xff\xd8"
    assert codec.decode_value("", b"raw") == b"raw"
    # Only exactly application/json is parsed (TorchServe's rule).
    assert codec.decode_value("application/json-patch", b"[1]") == b"[1]"


def test_answers_encode_as_torchserve_does():
    assert codec.encode_value({"b": 1.5, "a": [1]}) == json.dumps({"b": 1.5, "a": [1]}, indent=2).encode()
    assert codec.encode_value("tiger") == b"tiger"
    assert codec.encode_value(b"\x00\x01") == b"\x00\x01"
    assert codec.encode_value(3) == b"3"


def test_tensors_are_saved_and_other_objects_refused():
    import io

    encoded = codec.encode_value(torch.arange(3))
    assert torch.equal(torch.load(io.BytesIO(encoded)), torch.arange(3))
    with pytest.raises(codec.UnsupportedOutput, match="object is not JSON serializable"):
        codec.encode_value(object())
