"""ts package pieces: metrics cache, label mapping, micro-batching, detector output."""

import json

import pytest
import torch

from ts.handler_utils.micro_batching import MicroBatching
from ts.metrics.dimension import Dimension
from ts.metrics.metric_cache_errors import MetricsCacheKeyError, MetricsCacheValueError
from ts.metrics.metric_cache_yaml_impl import MetricsCacheYamlImpl
from ts.metrics.metric_type_enum import MetricTypes
from ts.torch_handler.object_detector import ObjectDetector
from ts.utils.util import load_label_mapping, map_class_to_label


def test_metrics_yaml_defines_the_cache(tmp_path):
    config = tmp_path / "metrics.yaml"
    config.write_text("dimensions:\n  - &model_name ModelName\nmodel_metrics:\n  gauge:\n"
                      "    - name: RequestBatchSize\n      unit: count\n      dimensions: [*model_name]\n")
    cache = MetricsCacheYamlImpl(str(config))
    metric = cache.get_metric("RequestBatchSize", MetricTypes.GAUGE)
    metric.add_or_update(4, ["mnist"])
    (event,) = cache.drain_events()
    assert (event.name, event.unit, event.dimension_names, event.dimension_values, event.value) == (
        "RequestBatchSize", "count", ["ModelName"], ["mnist"], 4)
    with pytest.raises(MetricsCacheKeyError):
        cache.get_metric("RequestBatchSize", MetricTypes.COUNTER)
    with pytest.raises(MetricsCacheValueError, match="2 dimension values given"):
        metric.add_or_update(1, ["a", "b"])


def test_shortcuts_add_model_name_and_level(tmp_path):
    cache = MetricsCacheYamlImpl()
    cache.model_name = "mnist"
    cache.request_ids = {0: "a", 1: "b"}
    cache.add_size("SizeOfImage", 0.25, None, "kB")
    cache.add_time("HandlerMethodTime", 3, 1, "ms", [Dimension("MethodName", "preprocess")])
    size, timed = cache.drain_events()
    assert dict(zip(size.dimension_names, size.dimension_values)) == {"ModelName": "mnist", "Level": "Model"}
    assert size.request_id == "a,b" and timed.request_id == "b"
    assert timed.dimension_names == ["MethodName", "ModelName", "Level"]
    with pytest.raises(MetricsCacheValueError, match="must be one of"):
        cache.add_time("Bad", 1, unit="minutes")


def test_label_mapping_forms(tmp_path):
    path = tmp_path / "index_to_name.json"
    path.write_text(json.dumps({"0": ["n01440764", "tench"], "1": "goldfish"}))
    assert load_label_mapping(str(path)) == {"0": "tench", "1": "goldfish"}
    path.write_text(json.dumps({"object_type_names": ["cat", "dog"]}))
    assert load_label_mapping(str(path)) == {"0": "cat", "1": "dog"}
    assert load_label_mapping(str(tmp_path / "absent.json")) is None
    assert map_class_to_label([[0.9, 0.1]], {"0": "cat", "1": "dog"}, [[1, 0]]) == [{"dog": 0.9, "cat": 0.1}]


class _Stages:
    def __init__(self):
        self.context = None

    def preprocess(self, rows):
        return [r * 10 for r in rows]

    def inference(self, rows):
        if 990 in rows:
            raise RuntimeError("bad row")
        return [r + 1 for r in rows]

    def postprocess(self, rows):
        return rows


def test_micro_batching_keeps_request_order_and_propagates_errors():
    mb = MicroBatching(_Stages(), micro_batch_size=2, parallelism={"preprocess": 3, "postprocess": 2})
    assert mb(list(range(9)), None) == [r * 10 + 1 for r in range(9)]
    with pytest.raises(RuntimeError, match="bad row"):
        mb([1, 99, 3], None)
    with pytest.raises(ValueError, match="unknown stages"):
        mb.parallelism = {"decode": 2}


def test_object_detector_keeps_boxes_at_the_threshold():
    detector = ObjectDetector()
    detector.mapping = {"1": "person", "3": "car"}
    out = detector.postprocess([{
        "boxes": torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 1.0, 1.0]]),
        "labels": torch.tensor([1, 3, 1]),
        "scores": torch.tensor([0.875, 0.5, 0.25]),
    }])
    assert out == [[{"person": [1.0, 2.0, 3.0, 4.0], "score": 0.875}, {"car": [5.0, 6.0, 7.0, 8.0], "score": 0.5}]]
