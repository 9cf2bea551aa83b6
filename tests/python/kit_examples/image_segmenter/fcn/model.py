"""FCN-ResNet101 with an auxiliary head, built by torchvision (21 classes)."""

from torchvision.models.segmentation import fcn_resnet101
from torchvision.models.segmentation.fcn import FCN


class FCNImageSegmenter(FCN):
    def __init__(self, num_classes=21):
        reference = fcn_resnet101(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=True)
        super().__init__(reference.backbone, reference.classifier, reference.aux_classifier)
