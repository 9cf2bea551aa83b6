"""The worker's handler loading and batch answering, without a server."""

import json
import textwrap

import pytest

from hearth_worker import codec, service, worker_pb2


def write(directory, name, text):
    (directory / name).write_text(textwrap.dedent(text))


def load_message(model_dir, handler, **extra):
    manifest = {"model": {"modelName": "m", "modelVersion": "1.0", "handler": handler}}
    manifest["model"].update(extra)
    return worker_pb2.LoadModel(model_name="m", model_version="1.0", model_dir=str(model_dir), handler=handler,
                                batch_size=4, intra_op_threads=1, manifest_json=json.dumps(manifest))


def predict_message(*bodies, content_type="application/json"):
    predict = worker_pb2.Predict(batch_id=7)
    for i, body in enumerate(bodies):
        request = predict.requests.add(request_id=f"r{i}")
        request.inputs.add(name="body", content_type=content_type, value=body)
        request.headers["x-test"] = f"h{i}"
    return predict


def serve_with(handler_dir, source, handler="h.py"):
    write(handler_dir, "h.py", source)
    s = service.Service(load_message(handler_dir, handler))
    s.initialize()
    return s


def test_module_function_entry_point_is_initialized_with_no_data(handler_dir):
    s = serve_with(handler_dir, """
        calls = []
        def handle(data, context):
            calls.append(data)
            return None if data is None else [row["body"]["x"] * 2 for row in data]
    """)
    result = s.predict(predict_message(b'{"x": 2}', b'{"x": 5}'))
    assert result.batch_id == 7
    assert [r.body for r in result.responses] == [b"4", b"10"]
    assert [r.request_id for r in result.responses] == ["r0", "r1"]
    import h
    assert h.calls[0] is None  # TorchServe initializes a function handler with handle(None, context)


def test_named_function_and_single_class(handler_dir):
    write(handler_dir, "fn.py", "def go(data, context):\n    return data and [len(data)] * len(data)\n")
    s = service.Service(load_message(handler_dir, "fn:go"))
    s.initialize()
    assert [r.body for r in s.predict(predict_message(b"1", b"2")).responses] == [b"2", b"2"]

    s = serve_with(handler_dir, """
        class Doubler:
            def initialize(self, context):
                self.factor = context.system_properties["batch_size"]
            def handle(self, data, context):
                return [row["body"] * self.factor for row in data]
    """)
    assert s.predict(predict_message(b"3")).responses[0].body == b"12"


def test_two_classes_and_no_handle_are_load_errors(handler_dir):
    with pytest.raises(service.LoadError, match="expected only one class"):
        serve_with(handler_dir, "class A:\n    pass\nclass B:\n    pass\n")


def test_builtin_handler_names_resolve_to_ts_handlers(handler_dir):
    module, function = service.import_handler_module("image_classifier", str(handler_dir))
    assert module.__name__ == "ts.torch_handler.image_classifier" and function is None
    module, function = service.import_handler_module("serve/ts/torch_handler/image_classifier.py:handle",
                                                     str(handler_dir))
    assert module.__name__ == "ts.torch_handler.image_classifier" and function == "handle"


def test_unknown_handler_names_the_problem(handler_dir):
    with pytest.raises(service.LoadError, match='handler "nothere": no module nothere.py in the archive'):
        service.import_handler_module("nothere", str(handler_dir))


def test_import_error_inside_a_handler_file_is_not_masked(handler_dir):
    write(handler_dir, "broken.py", "import module_that_does_not_exist\n")
    with pytest.raises(ModuleNotFoundError, match="module_that_does_not_exist"):
        service.import_handler_module("broken.py", str(handler_dir))


def test_load_failure_reports_the_last_traceback_line(handler_dir):
    write(handler_dir, "bad.py", "def handle(data, context):\n    raise ValueError('no weights here')\n")
    reply, loaded = service._load(load_message(handler_dir, "bad.py"))
    assert loaded is None and not reply.ok and not reply.retryable
    assert reply.message == 'handler "bad.py" failed to load: ValueError: no weights here'
    assert "Traceback" in reply.traceback


def test_handler_failures_fail_the_batch_with_torchserve_codes(handler_dir):
    s = serve_with(handler_dir, """
        from ts.utils.util import PredictionException
        def handle(data, context):
            if data is None:
                return None
            mode = data[0]["body"]
            if mode == "predex":
                raise PredictionException("teapot says no", 418)
            if mode == "oom":
                raise MemoryError()
            if mode == "raise":
                raise KeyError("missing")
            if mode == "dict":
                return {"not": "a list"}
            if mode == "short":
                return []
            if mode == "object":
                return [object()]
            return [mode]
    """)

    def answer(mode):
        (r,) = s.predict(predict_message(mode.encode(), content_type="text/plain")).responses
        return r.status_code, r.http_status, r.message

    assert answer("predex") == (codec.STATUS_PREDICTION_FAILED, 418, "teapot says no")
    assert answer("oom") == (codec.STATUS_RESOURCE_EXHAUSTED, 0, "Out of resources")
    assert answer("raise") == (codec.STATUS_PREDICTION_FAILED, 0, "Prediction failed: KeyError: 'missing'")
    assert answer("dict") == (codec.STATUS_PREDICTION_FAILED, 0, "Invalid model predict output")
    assert answer("short")[2].startswith("number of batch response mismatched")
    assert answer("object")[2].startswith("Unsupported model output data type")
    assert answer("fine") == (0, 0, "")


def test_response_status_headers_and_request_headers(handler_dir):
    s = serve_with(handler_dir, """
        def handle(data, context):
            if data is None:
                return None
            context.set_response_status(201, "Created", idx=0)
            context.set_response_content_type(0, "text/csv")
            context.set_response_header(0, "x-answer", "42")
            return [context.get_request_header(0, "x-test") + "," + context.get_request_id(0)]
    """)
    (r,) = s.predict(predict_message(b"{}")).responses
    assert (r.status_code, r.http_status, r.content_type, dict(r.headers)) == (0, 201, "text/csv", {"x-answer": "42"})
    assert r.body == b"h0,r0"


def test_handler_metrics_travel_with_the_batch(handler_dir):
    s = serve_with(handler_dir, """
        def handle(data, context):
            if data is None:
                context.metrics.add_counter("Loaded", 1)
                return None
            context.metrics.add_time("Work", 2.5, idx=0, dimensions=[])
            return [1] * len(data)
    """)
    (loaded,) = s.metrics.drain_events()  # _load sends these with LoadModelResult
    assert (loaded.name, loaded.unit, loaded.value) == ("Loaded", "count", 1)
    result = s.predict(predict_message(b"1"))
    (metric,) = result.metrics
    assert (metric.name, metric.unit, metric.type, metric.value, metric.request_id) == (
        "Work", "ms", worker_pb2.HandlerMetric.GAUGE, 2.5, "r0")
    assert dict(zip(metric.dimension_names, metric.dimension_values)) == {"ModelName": "m", "Level": "Model"}
