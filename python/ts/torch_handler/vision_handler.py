"""VisionHandler: image bytes (or base64 text, or a nested list) -> a batch tensor.

Rows are read from "data", else "body". Images are opened with Pillow as
they are (no RGB conversion, no EXIF rotation), as TorchServe does, and
passed through the subclass's `image_processing` transform.
"""

import base64
import io
from abc import ABC

import torch
from PIL import Image

from ts.torch_handler import _native_vision
from ts.torch_handler.base_handler import BaseHandler


# Transform pipelines the C++ preprocessing reproduces exactly
# (ImageClassifier's and ImageSegmenter's defaults register themselves).
NATIVE_IMAGENET_PIPELINES = []


def imagenet_transforms():
    """TorchServe's default vision preprocessing: Resize(256), CenterCrop(224), ToTensor, ImageNet Normalize."""
    from torchvision import transforms

    return transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )


class VisionHandler(BaseHandler, ABC):
    image_processing = None

    def initialize(self, context):
        super().initialize(context)
        try:
            from captum.attr import IntegratedGradients
        except ImportError:  # Hearth's own, with Captum's defaults
            from ts.utils.integrated_gradients import IntegratedGradients
        self.ig = IntegratedGradients(self.model)
        if not context.system_properties.get("limit_max_image_pixels", True):
            Image.MAX_IMAGE_PIXELS = None
        self.initialized = True

    def preprocess(self, data):
        images = []
        native = any(self.image_processing is p for p in NATIVE_IMAGENET_PIPELINES)
        for row in data:
            image = row.get("data") or row.get("body") if isinstance(row, dict) else row
            if isinstance(image, str):
                image = base64.b64decode(image)
            fast = _native_vision.preprocess(image) if native else None
            if fast is not None:
                images.append(fast)
                continue
            if isinstance(image, (bytes, bytearray)):
                image = Image.open(io.BytesIO(image))
                image = self.image_processing(image) if self.image_processing is not None else image
            else:
                image = torch.FloatTensor(image)
            images.append(image)
        return torch.stack(images).to(self.device)

    def get_insights(self, tensor_data, raw_data, target=0):
        if isinstance(target, (bytes, bytearray, str)):
            target = int(target)  # a "target" form field
        return self.ig.attribute(tensor_data, target=target, n_steps=15).tolist()
