"""Hearth's Pillow-exact ImageNet preprocessing in C++ (libhearth_vision.so),
for the vision handlers that keep TorchServe's default transforms.

preprocess(image_bytes) returns the 3x224x224 float tensor torchvision's
Resize(256) / CenterCrop(224) / ToTensor / Normalize would give, or None
when the native path does not apply (not an 8-bit RGB JPEG or PNG, or the
library is absent): the caller then uses torchvision, so answers are
TorchServe's either way. HEARTH_NATIVE_VISION=0 turns it off.
"""

import ctypes
import os

import numpy as np
import torch

_FLOATS = 3 * 224 * 224
_LIB = None
_LOADED = False


def _library():
    global _LIB, _LOADED
    if _LOADED:
        return _LIB
    _LOADED = True
    if os.environ.get("HEARTH_NATIVE_VISION", "1") == "0":
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("HEARTH_VISION_LIB", ""),
                  os.path.join(here, "..", "..", "..", "lib", "libhearth_vision.so")]
    for path in candidates:
        if path and os.path.exists(path):
            lib = ctypes.CDLL(path)
            lib.hearth_imagenet_preprocess.restype = ctypes.c_int
            lib.hearth_imagenet_preprocess.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                                       ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
            _LIB = lib
            break
    return _LIB


def _is_plain_rgb(data):
    """8-bit RGB PNG, or a baseline/progressive 3-component JPEG: what the
    native decoder turns into exactly what Pillow gives."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return len(data) > 26 and data[24] == 8 and data[25] == 2  # IHDR: bit depth 8, colour type RGB
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return False
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):  # SOF0/1/2: components at offset 9
                return data[i + 9] == 3 and not _has_adobe_transform(data[:i])
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        return False
    return False


def _has_adobe_transform(header):
    return b"Adobe" in header  # Adobe APP14 may mark YCCK/CMYK or RGB without a transform


def preprocess(data):
    if not isinstance(data, (bytes, bytearray)) or not _is_plain_rgb(data):
        return None
    lib = _library()
    if lib is None:
        return None
    out = np.empty(_FLOATS, dtype=np.float32)
    error = ctypes.create_string_buffer(256)
    raw = bytes(data)
    if lib.hearth_imagenet_preprocess(raw, len(raw), out.ctypes.data, _FLOATS, error, len(error)) != 0:
        return None  # let Pillow produce (or explain) the result
    return torch.from_numpy(out).view(3, 224, 224)
