"""ImageClassifier: TorchServe's Resize(256) / CenterCrop(224) / normalize,
softmax, and the top-k classes as {label: probability} per image."""

import torch.nn.functional as F
from torchvision import transforms

from ts.torch_handler.vision_handler import NATIVE_IMAGENET_PIPELINES, VisionHandler
from ts.utils.util import map_class_to_label


class ImageClassifier(VisionHandler):
    topk = 5
    image_processing = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )

    def set_max_result_classes(self, topk):
        self.topk = topk

    def get_max_result_classes(self):
        return self.topk

    def postprocess(self, data):
        probabilities = F.softmax(data, dim=1)
        probs, classes = probabilities.topk(min(self.topk, probabilities.shape[1]), dim=1)
        return map_class_to_label(probs.tolist(), self.mapping, classes.tolist())


NATIVE_IMAGENET_PIPELINES.append(ImageClassifier.image_processing)
