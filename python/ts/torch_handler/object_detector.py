"""ObjectDetector: boxes scoring at least `threshold`, as
[{"<label>": [x1, y1, x2, y2], "score": s}, ...] per image."""

from torchvision import transforms

from ts.torch_handler.vision_handler import VisionHandler


class ObjectDetector(VisionHandler):
    image_processing = transforms.Compose([transforms.ToTensor()])
    threshold = 0.5

    def postprocess(self, data):
        results = []
        for detections in data:
            keep = detections["scores"] >= self.threshold
            boxes = detections["boxes"][keep].tolist()
            labels = detections["labels"][keep].tolist()
            scores = detections["scores"][keep].tolist()
            results.append(
                [{self._label(label): box, "score": score} for label, box, score in zip(labels, boxes, scores)]
            )
        return results

    def _label(self, index):
        if self.mapping is None:
            return str(index)
        return self.mapping.get(str(index), str(index))
