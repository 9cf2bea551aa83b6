"""ImageSegmenter: per pixel, [most likely class (as a float), its probability]."""

import torch

from ts.torch_handler.vision_handler import NATIVE_IMAGENET_PIPELINES, VisionHandler, imagenet_transforms


class ImageSegmenter(VisionHandler):
    image_processing = imagenet_transforms()

    def postprocess(self, data):
        # Only the top class per pixel: all classes would make answers of tens of MB.
        scores = data["out"] if isinstance(data, dict) else data
        best = torch.max(torch.softmax(scores, dim=1), dim=1)
        return torch.stack([best.indices.to(best.values.dtype), best.values], dim=3).tolist()


NATIVE_IMAGENET_PIPELINES.append(ImageSegmenter.image_processing)
