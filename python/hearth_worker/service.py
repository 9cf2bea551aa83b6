"""The worker's conversation with the server and the handler it runs.

serve() says Hello, loads the model named by LoadModel, then answers each
Predict with one PredictResult, one Response per request in request order.
A handler that raises fails its batch, never the process; only a broken
channel ends the worker.
"""

import importlib
import json
import os
import sys
import time
import traceback

from hearth_worker import codec, ipc, worker_pb2

BUILTIN_HANDLERS = ("base_handler", "image_classifier", "image_segmenter", "object_detector", "text_classifier")


class LoadError(Exception):
    """The model cannot be loaded; `retryable` says whether trying again may help."""

    def __init__(self, message, retryable=False):
        super().__init__(message)
        self.retryable = retryable


def _split_handler(handler):
    """'dir/my_handler.py:fn' -> ('my_handler', 'fn'); 'image_classifier' -> ('image_classifier', None)."""
    module_name, _, function_name = handler.partition(":")
    if module_name.endswith(".py"):
        module_name = module_name[:-3]
    return module_name.split("/")[-1], function_name or None


def import_handler_module(handler, model_dir):
    """The module a manifest's handler names: a file in the model directory
    first, then TorchServe's built-in handler of that name."""
    module_name, function_name = _split_handler(handler)
    if not module_name:
        raise LoadError("the archive names no handler")
    in_archive = os.path.isfile(os.path.join(model_dir, module_name + ".py")) or os.path.isdir(
        os.path.join(model_dir, module_name)
    )
    if in_archive or module_name not in BUILTIN_HANDLERS:
        try:
            return importlib.import_module(module_name), function_name
        except ModuleNotFoundError as e:
            if in_archive or e.name != module_name:
                raise
    try:
        return importlib.import_module("ts.torch_handler." + module_name), function_name
    except ModuleNotFoundError as e:
        if e.name != "ts.torch_handler." + module_name:
            raise
        raise LoadError(
            f'handler "{handler}": no module {module_name}.py in the archive and no built-in handler of that '
            f"name (built-ins: {', '.join(BUILTIN_HANDLERS)})"
        ) from None


def resolve_entry_point(module, function_name):
    """(entry_point(data, context), initialize(context)) as TorchServe finds
    them: a module-level function (initialized by calling it with data=None),
    else the module's single class with a handle method."""
    from ts.utils.util import list_classes_from_module

    function_name = function_name or "handle"
    if hasattr(module, function_name):
        entry_point = getattr(module, function_name)
        return entry_point, lambda context: entry_point(None, context)
    classes = list_classes_from_module(module)
    if len(classes) != 1:
        names = [c.__name__ for c in classes]
        raise LoadError(
            f"expected only one class in custom service code or a function entry point "
            f"'{function_name}' in {module.__name__}; found classes {names}"
        )
    service = classes[0]()
    if not hasattr(service, "handle"):
        raise LoadError(f"expected a handle method in class {classes[0].__name__}")
    initialize = getattr(service, "initialize", None) or (lambda context: None)
    return service.handle, initialize


def _add_metrics(target, metrics):
    for event in metrics.drain_events():
        m = target.add()
        m.name = event.name
        m.unit = event.unit
        m.type = event.type_value
        m.dimension_names.extend(event.dimension_names)
        m.dimension_values.extend(str(v) for v in event.dimension_values)
        m.value = float(event.value)
        m.request_id = event.request_id or ""


class Service:
    """A loaded handler and its Context."""

    def __init__(self, load):
        from ts.context import Context
        from ts.metrics.metric_cache_yaml_impl import MetricsCacheYamlImpl

        self.load = load
        manifest = json.loads(load.manifest_json) if load.manifest_json else {"model": {}}
        yaml_config = json.loads(load.model_yaml_json) if load.model_yaml_json else {}
        self.metrics = MetricsCacheYamlImpl(load.metrics_config or None)
        self.metrics.model_name = load.model_name
        self.context = Context(
            model_name=load.model_name,
            model_dir=load.model_dir,
            manifest=manifest,
            batch_size=load.batch_size,
            gpu=None,
            mms_version="hearth",
            metrics=self.metrics,
            model_yaml_config=yaml_config,
        )
        self.entry_point = None
        self.channel = None  # set by serve(): where streamed parts go

    def initialize(self):
        os.chdir(self.load.model_dir)
        if self.load.model_dir not in sys.path:
            sys.path.insert(0, self.load.model_dir)
        module, function_name = import_handler_module(self.load.handler, self.load.model_dir)
        self.entry_point, initialize = resolve_entry_point(module, function_name)
        initialize(self.context)

    def predict(self, predict):
        """One Predict -> PredictResult."""
        from ts.context import RequestProcessor
        from ts.utils.util import PredictionException

        result = worker_pb2.PredictResult(batch_id=predict.batch_id)
        rows = [codec.request_to_row(r) for r in predict.requests]
        self.context.request_ids = {i: r.request_id for i, r in enumerate(predict.requests)}
        self.context.request_processor = [RequestProcessor(dict(r.headers)) for r in predict.requests]
        self.metrics.request_ids = self.context.request_ids
        # ts.protocol.otf_message_handler.send_intermediate_predict_response streams through this.
        self.context.hearth_stream = lambda responses: self._send_partial(predict.batch_id, responses)

        def fail(code, message, http_status=0):
            for r in predict.requests:
                result.responses.add(request_id=r.request_id, status_code=code, message=message,
                                     http_status=http_status)

        started = time.perf_counter()
        try:
            answers = self.entry_point(rows, self.context)
        except MemoryError:
            fail(codec.STATUS_RESOURCE_EXHAUSTED, "Out of resources")
            answers = None
        except PredictionException as e:
            fail(codec.STATUS_PREDICTION_FAILED, e.message, e.error_code)
            answers = None
        except NotImplementedError as e:
            traceback.print_exc()
            if any(_wants_explanation(r) for r in predict.requests):
                # /explanations or :explain on a handler without explain support: 501, never a prediction.
                fail(codec.STATUS_UNIMPLEMENTED, f"Explanations are not supported: {e}", 501)
            else:
                fail(codec.STATUS_PREDICTION_FAILED, f"Prediction failed: NotImplementedError: {e}")
            answers = None
        except Exception as e:  # noqa: BLE001 - any handler failure fails the batch, not the worker
            traceback.print_exc()
            fail(codec.STATUS_PREDICTION_FAILED, f"Prediction failed: {type(e).__name__}: {e}")
            answers = None
        self.context.hearth_stream = None
        elapsed_us = int((time.perf_counter() - started) * 1e6)
        result.prediction_us = elapsed_us
        # BaseHandler.handle times its phases; any other entry point counts as inference.
        phases = getattr(self.context, "hearth_phase_us", None) or {}
        self.context.hearth_phase_us = None
        result.preprocess_us = phases.get("preprocess", 0)
        result.postprocess_us = phases.get("postprocess", 0)
        result.inference_us = phases.get("inference", max(0, elapsed_us - result.preprocess_us - result.postprocess_us))
        if answers is not None:
            self._encode_answers(answers, predict, result, fail)
        _add_metrics(result.metrics, self.metrics)
        return result

    def _encode_answers(self, answers, predict, result, fail):
        if not isinstance(answers, list):
            fail(codec.STATUS_PREDICTION_FAILED, "Invalid model predict output")
            return
        if len(answers) != len(predict.requests):
            fail(codec.STATUS_PREDICTION_FAILED,
                 f"number of batch response mismatched: {len(answers)} answers for {len(predict.requests)} requests")
            return
        responses = []
        for i, (request, answer) in enumerate(zip(predict.requests, answers)):
            if self.context.get_response_headers(i).get("ts_stream_next") == "true":
                self.context.set_response_header(i, "ts_stream_next", "false")  # the last part, as TorchServe marks it
            try:
                responses.append(encode_response(request.request_id, answer, self.context.request_processor[i]))
            except codec.UnsupportedOutput as e:
                fail(codec.STATUS_PREDICTION_FAILED, f"Unsupported model output data type: {e}")
                return
        result.responses.extend(responses)

    def _send_partial(self, batch_id, responses):
        """Streams intermediate answers of the batch in flight to the server."""
        envelope = worker_pb2.Envelope()
        envelope.predict_partial.batch_id = batch_id
        envelope.predict_partial.responses.extend(responses)
        self.channel.write(envelope)


def encode_response(request_id, answer, processor):
    """One handler answer and its request's status and headers -> a Response.
    Raises codec.UnsupportedOutput for an answer with no wire form."""
    body = codec.encode_value(answer)
    response = worker_pb2.Response(request_id=request_id, body=body)
    for key, value in processor.get_response_headers().items():
        if key.lower() == "content-type":
            response.content_type = str(value)
        else:
            response.headers[key] = str(value)
    code = processor.get_response_status_code()
    if code and code != 200:
        response.http_status = int(code)
        if code >= 400:
            response.status_code = codec.STATUS_PREDICTION_FAILED
            response.message = processor.get_response_status_phrase() or body.decode("utf-8", "replace")
    return response


def _wants_explanation(request):
    """The server marks /explanations and KServe :explain requests with TorchServe's header "explain: True"."""
    return request.headers.get("explain", "").lower() == "true"


def _give_back_free_memory():
    """What loading freed (state_dict copies, the handler's scratch) goes back
    to the system: the server's MALLOC_TRIM_THRESHOLD_ keeps the heap from
    shrinking while serving, not after the load."""
    import gc
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _load(load):
    started = time.perf_counter()
    reply = worker_pb2.LoadModelResult()
    try:
        import torch

        torch.set_num_threads(max(1, load.intra_op_threads))
        service = Service(load)
        service.initialize()
    except LoadError as e:
        reply.ok = False
        reply.status_code = codec.STATUS_INTERNAL
        reply.message = str(e)
        reply.retryable = e.retryable
        print(f"model load failed: {e}", file=sys.stderr)
        return reply, None
    except MemoryError:
        reply.ok = False
        reply.status_code = codec.STATUS_RESOURCE_EXHAUSTED
        reply.message = "out of memory loading the model"
        reply.retryable = True
        return reply, None
    except BaseException as e:  # noqa: BLE001 - a broken handler must not kill the worker silently
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        text = traceback.format_exc()
        sys.stderr.write(text)
        last_line = traceback.format_exception_only(type(e), e)[-1].strip()
        reply.ok = False
        reply.status_code = codec.STATUS_INTERNAL
        reply.message = f'handler "{load.handler}" failed to load: {last_line}'
        reply.traceback = text
        reply.retryable = False
        return reply, None
    import torch

    _give_back_free_memory()
    reply.ok = True
    reply.load_time_ms = int((time.perf_counter() - started) * 1000)
    reply.intra_op_threads = torch.get_num_threads()
    _add_metrics(reply.metrics, service.metrics)
    print(f"model {load.model_name} version {load.model_version} loaded with handler {load.handler} in "
          f"{reply.load_time_ms} ms, {reply.intra_op_threads} intra-op threads")
    return reply, service


def serve(ipc_fd, name):
    channel = ipc.Channel(ipc_fd)
    print("Torch worker started.")
    print(f"Python runtime: {sys.version.split()[0]}")
    hello = worker_pb2.Envelope()
    hello.hello.protocol_version = ipc.PROTOCOL_VERSION
    hello.hello.pid = os.getpid()
    channel.write(hello)
    service = None
    while True:
        try:
            message = channel.read()
        except ipc.ChannelClosed:
            return 0
        kind = message.WhichOneof("message")
        reply = worker_pb2.Envelope()
        if kind == "load_model":
            result, service = _load(message.load_model)
            if service is not None:
                service.channel = channel
            reply.load_model_result.CopyFrom(result)
        elif kind == "predict":
            if service is None:
                result = worker_pb2.PredictResult(batch_id=message.predict.batch_id)
                for r in message.predict.requests:
                    result.responses.add(request_id=r.request_id, status_code=codec.STATUS_INTERNAL,
                                         message="no model loaded")
            else:
                result = service.predict(message.predict)
            reply.predict_result.CopyFrom(result)
        elif kind == "set_threads":
            import torch

            torch.set_num_threads(max(1, message.set_threads.intra_op_threads))
            print(f"intra-op threads set to {torch.get_num_threads()}")
            continue
        elif kind == "shutdown":
            return 0
        else:
            print(f"unexpected message {kind}", file=sys.stderr)
            return 1
        channel.write(reply)
