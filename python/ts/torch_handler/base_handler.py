"""BaseHandler: loads a TorchScript or eager model and runs
preprocess -> inference -> postprocess for a batch.

Eager models: the manifest's modelFile defines exactly one nn.Module class,
built with no arguments, and serializedFile (if any) is its state_dict.
TorchScript: serializedFile alone. index_to_name.json in the model
directory, if present, becomes self.mapping.
"""

import abc
import importlib
import logging
import os
import time

import torch

from ts.utils.util import list_classes_from_module, load_label_mapping

logger = logging.getLogger(__name__)

try:
    from torch.profiler import ProfilerActivity, profile, record_function

    PROFILER_AVAILABLE = True
except ImportError:  # pragma: no cover - every torch Debian ships has it
    PROFILER_AVAILABLE = False


def _ipex_requested():
    return os.environ.get("TS_IPEX_ENABLE", "false").lower() == "true"


class BaseHandler(abc.ABC):
    def __init__(self):
        self.model = None
        self.mapping = None
        self.device = None
        self.initialized = False
        self.context = None
        self.model_pt_path = None
        self.manifest = None
        self.map_location = None
        self.explain = False
        self.target = 0
        self.profiler_args = {}

    def initialize(self, context):
        """Loads the model named by the manifest onto the CPU."""
        properties = context.system_properties
        self.context = context
        self.manifest = context.manifest
        gpu_id = properties.get("gpu_id")
        if torch.cuda.is_available() and gpu_id is not None:
            self.map_location = "cuda"
            self.device = torch.device(f"cuda:{gpu_id}")
        else:
            self.map_location = "cpu"
            self.device = torch.device("cpu")
        model_dir = properties.get("model_dir")
        model_info = (self.manifest or {}).get("model", {})
        serialized_file = model_info.get("serializedFile")
        self.model_pt_path = os.path.join(model_dir, serialized_file) if serialized_file else None
        model_file = model_info.get("modelFile", "")
        if model_file:
            logger.debug("Loading eager model")
            self.model = self._load_pickled_model(model_dir, model_file, self.model_pt_path)
            self.model.to(self.device)
        else:
            logger.debug("Loading torchscript model")
            if not self.model_pt_path or not os.path.isfile(self.model_pt_path):
                raise RuntimeError(f"Missing the model.pt file: {serialized_file or 'no serializedFile in the manifest'}")
            self.model = self._load_torchscript_model(self.model_pt_path)
        self.model.eval()
        self._apply_optimizations(context)
        logger.debug("Model file %s loaded successfully", self.model_pt_path)
        self.mapping = load_label_mapping(os.path.join(model_dir, "index_to_name.json"))
        self.initialized = True

    def _apply_optimizations(self, context):
        config = getattr(context, "model_yaml_config", None) or {}
        if config.get("pt2"):
            if hasattr(torch, "compile"):
                options = config["pt2"].get("compile", config["pt2"]) if isinstance(config["pt2"], dict) else {}
                if not isinstance(options, dict) or options.get("enable", True):
                    self.model = torch.compile(self.model, backend=options.get("backend", "inductor"))
            else:
                logger.warning("pt2 in model-config.yaml: torch %s has no torch.compile; the model runs uncompiled",
                               torch.__version__)
        if _ipex_requested() and isinstance(self.model, torch.jit.ScriptModule):
            try:
                self.model = torch.jit.optimize_for_inference(torch.jit.freeze(self.model))
                logger.info("ipex_enable: TorchScript model frozen and optimized for inference (oneDNN fusion)")
            except RuntimeError as e:
                logger.warning("ipex_enable: cannot optimize the TorchScript model (%s); it runs as loaded", e)

    def _load_torchscript_model(self, model_pt_path):
        return torch.jit.load(model_pt_path, map_location=self.device)

    def _load_pickled_model(self, model_dir, model_file, model_pt_path):
        """The single nn.Module class of `model_file`, with the state_dict at
        `model_pt_path` loaded (when there is one)."""
        model_def_path = os.path.join(model_dir, model_file)
        if not os.path.isfile(model_def_path):
            raise RuntimeError(f"Missing the model.py file: {model_file}")
        module = importlib.import_module(model_file.split(".")[0])
        classes = list_classes_from_module(module)
        if len(classes) != 1:
            raise ValueError(f"Expected only one class as model definition. {classes}")
        model = classes[0]()
        if model_pt_path:
            state_dict = torch.load(model_pt_path, map_location=self.device)
            model.load_state_dict(state_dict)
        return model

    def preprocess(self, data):
        """The batch as one tensor (rows must be numbers of equal shape)."""
        return torch.as_tensor(data, device=self.device)

    def inference(self, data, *args, **kwargs):
        with torch.inference_mode():
            return self.model(data.to(self.device), *args, **kwargs)

    def postprocess(self, data):
        return data.tolist()

    def handle(self, data, context):
        """The whole batch: a list of request rows in, one answer per row out."""
        start = time.time()
        self.context = context
        if os.environ.get("ENABLE_TORCH_PROFILER"):
            if not PROFILER_AVAILABLE:
                raise RuntimeError("ENABLE_TORCH_PROFILER is set but this torch has no torch.profiler")
            if self.manifest is None:
                self.manifest = context.manifest
            output, _ = self._infer_with_profiler(data)
        elif self._is_describe():
            output = [self.describe_handle()]
        else:
            timings = _PhaseTimer()
            with timings.phase("preprocess"):
                data_preprocess = self.preprocess(data)
            if self._is_explain():
                output = self.explain_handle(data_preprocess, data)
            else:
                with timings.phase("inference"):
                    output = self.inference(data_preprocess)
                with timings.phase("postprocess"):
                    output = self.postprocess(output)
            timings.publish(context)
        metrics = getattr(context, "metrics", None)
        if metrics is not None and getattr(metrics, "report_handler_time", False):
            metrics.add_time("HandlerTime", round((time.time() - start) * 1000, 2), None, "ms")
        return output

    def _infer_with_profiler(self, data):
        """preprocess/inference/postprocess under torch.profiler; the trace goes
        to /tmp/pytorch_profiler/<model name> unless profiler_args say otherwise."""
        if not self.profiler_args:
            activities = [ProfilerActivity.CPU]
            if torch.cuda.is_available():
                activities.append(ProfilerActivity.CUDA)
            self.profiler_args = {"activities": activities, "record_shapes": True}
        if "on_trace_ready" not in self.profiler_args:
            model_name = ((self.manifest or {}).get("model") or {}).get("modelName", "")
            result_path = os.path.join("/tmp/pytorch_profiler", model_name)
            self.profiler_args["on_trace_ready"] = torch.profiler.tensorboard_trace_handler(result_path)
        with profile(**self.profiler_args) as prof:
            with record_function("preprocess"):
                data_preprocess = self.preprocess(data)
            if self._is_explain():
                with record_function("explain"):
                    output = self.explain_handle(data_preprocess, data)
            else:
                with record_function("inference"):
                    output = self.inference(data_preprocess)
                with record_function("postprocess"):
                    output = self.postprocess(output)
        return output, prof

    def explain_handle(self, data_preprocess, raw_data):
        """Explanations of the first row (its "target" names the class)."""
        row = raw_data[0] if raw_data else None
        inputs, target = None, 0
        if isinstance(row, dict):
            inputs = row.get("data") or row.get("body")
            target = row.get("target") or 0
        return self.get_insights(data_preprocess, inputs, target)

    def get_insights(self, tensor_data, raw_data, target):
        raise NotImplementedError(f"{type(self).__name__} cannot explain its predictions (no get_insights)")

    def _header_is_true(self, name):
        if self.context is None:
            return False
        value = self.context.get_request_header(0, name)
        return value is True or value == "True"

    def _is_explain(self):
        if self._header_is_true("explain"):
            self.explain = True
            return True
        return False

    def _is_describe(self):
        return self._header_is_true("describe")

    def describe_handle(self):
        """Custom metadata for the describe API; None unless a handler overrides it."""
        return None


class _PhaseTimer:
    """Times the handler's phases; the worker reports them as the batch's
    preprocess/inference/postprocess times."""

    def __init__(self):
        self.us = {}

    class _Phase:
        def __init__(self, timer, name):
            self.timer, self.name = timer, name

        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            self.timer.us[self.name] = int((time.perf_counter() - self.start) * 1e6)
            return False

    def phase(self, name):
        return self._Phase(self, name)

    def publish(self, context):
        try:
            context.hearth_phase_us = dict(self.us)
        except AttributeError:
            pass
