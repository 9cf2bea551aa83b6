"""A custom handler as TorchServe users write them: TorchServe's
ImageClassifier, subclassed, for bench/python_worker_bench.sh."""

from ts.torch_handler.image_classifier import ImageClassifier


class SmallClassifier(ImageClassifier):
    topk = 5

    def postprocess(self, data):
        return super().postprocess(data)
