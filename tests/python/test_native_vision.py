"""The C++ ImageNet preprocessing the vision handlers use must give exactly
torchvision's floats, and step aside for what it does not reproduce."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from ts.torch_handler import _native_vision
from ts.torch_handler.image_classifier import ImageClassifier

pytestmark = pytest.mark.skipif(_native_vision._library() is None, reason="build/lib/libhearth_vision.so not built")


def photo(width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x ^ y) & 255], axis=2)
    pixels = (pixels + rng.integers(0, 40, pixels.shape)).clip(0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("size,fmt", [((640, 480), "JPEG"), ((300, 500), "JPEG"), ((32, 32), "PNG"),
                                      ((1024, 200), "PNG"), ((224, 224), "JPEG")])
def test_native_preprocessing_is_bit_exact_with_torchvision(size, fmt):
    data = encode(photo(*size, seed=size[0]), fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    native = _native_vision.preprocess(data)
    assert native is not None
    reference = ImageClassifier.image_processing(Image.open(io.BytesIO(data)))
    assert native.shape == reference.shape == (3, 224, 224)
    assert torch.equal(native, reference), float((native - reference).abs().max())


def test_progressive_jpeg_is_exact_too():
    data = encode(photo(400, 300, 5), "JPEG", quality=85, progressive=True)
    reference = ImageClassifier.image_processing(Image.open(io.BytesIO(data)))
    assert torch.equal(_native_vision.preprocess(data), reference)


def test_what_torchvision_handles_differently_is_left_to_it():
    grey = encode(photo(64, 64, 1).convert("L"), "PNG")
    rgba = encode(photo(64, 64, 1).convert("RGBA"), "PNG")
    assert _native_vision.preprocess(grey) is None  # TorchServe fails on these: so must we
    assert _native_vision.preprocess(rgba) is None
    assert _native_vision.preprocess(b"not an image") is None
    assert _native_vision.preprocess([[1.0]]) is None


def test_custom_transforms_do_not_take_the_native_path(tmp_path):
    from torchvision import transforms

    class Custom(ImageClassifier):
        image_processing = transforms.Compose([transforms.Resize(256), transforms.ToTensor()])

    handler = Custom()
    handler.device = torch.device("cpu")
    data = encode(photo(320, 240, 3), "JPEG")
    out = handler.preprocess([{"data": data}])
    assert tuple(out.shape[-2:]) == (256, 341)  # the user's transform ran, not the native ImageNet one
