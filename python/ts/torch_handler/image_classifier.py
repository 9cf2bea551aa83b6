"""ImageClassifier: TorchServe's Resize(256) / CenterCrop(224) / normalize,
softmax, and the top-k classes as {label: probability} per image."""

import torch.nn.functional as F

from ts.torch_handler.vision_handler import NATIVE_IMAGENET_PIPELINES, VisionHandler, imagenet_transforms
from ts.utils.util import map_class_to_label


class ImageClassifier(VisionHandler):
    topk = 5
    image_processing = imagenet_transforms()

    def set_max_result_classes(self, topk):
        self.topk = topk

    def get_max_result_classes(self):
        return self.topk

    def postprocess(self, data):
        probabilities = F.softmax(data, dim=1)
        probs, classes = probabilities.topk(min(self.topk, probabilities.shape[1]), dim=1)
        return map_class_to_label(probs.tolist(), self.mapping, classes.tolist())


NATIVE_IMAGENET_PIPELINES.append(ImageClassifier.image_processing)
