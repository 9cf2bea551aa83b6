"""A custom handler with its own transforms (the same operations as
TorchServe's defaults, as a user would write them): Hearth runs them with
torchvision, as TorchServe does. For bench/python_worker_bench.sh."""

from torchvision import transforms

from ts.torch_handler.image_classifier import ImageClassifier


class CustomTransformsClassifier(ImageClassifier):
    image_processing = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )
