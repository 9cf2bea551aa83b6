"""ts.context: what a handler knows about its model and the current batch."""


class RequestProcessor:
    """One request's headers in, and the status and headers of its answer out."""

    def __init__(self, request_header):
        self._request_header = dict(request_header or {})
        self._status_code = 200
        self._reason_phrase = None
        self._response_header = {}

    def get_request_property(self, key):
        return self._request_header.get(key)

    def get_request_properties(self):
        return self._request_header

    def report_status(self, code, reason_phrase=None):
        self._status_code = code
        self._reason_phrase = reason_phrase

    def get_response_status_code(self):
        return self._status_code

    def get_response_status_phrase(self):
        return self._reason_phrase

    def add_response_property(self, key, value):
        self._response_header[key] = value

    def get_response_headers(self):
        return self._response_header

    def get_response_header(self, key):
        return self._response_header.get(key)


class Context:
    """The handler's context: model properties, the manifest, the model's
    YAML config, metrics, and per-request headers and answer status."""

    def __init__(self, model_name, model_dir, manifest, batch_size, gpu, mms_version,
                 limit_max_image_pixels=True, metrics=None, model_yaml_config=None):
        self.model_name = model_name
        self.manifest = manifest
        self._system_properties = {
            "model_dir": model_dir,
            "gpu_id": gpu,
            "batch_size": batch_size,
            "server_name": "MMS",
            "server_version": mms_version,
            "limit_max_image_pixels": limit_max_image_pixels,
        }
        self.request_ids = None
        self._request_processor = None
        self._metrics = metrics
        self._limit_max_image_pixels = limit_max_image_pixels
        self.model_yaml_config = model_yaml_config if model_yaml_config is not None else {}
        self.stopping_criteria = None

    @property
    def system_properties(self):
        return self._system_properties

    @property
    def request_processor(self):
        return self._request_processor

    @request_processor.setter
    def request_processor(self, processors):
        self._request_processor = processors

    @property
    def metrics(self):
        return self._metrics

    @metrics.setter
    def metrics(self, metrics):
        self._metrics = metrics

    def get_request_id(self, idx=0):
        return self.request_ids.get(idx) if self.request_ids else None

    def get_request_header(self, idx, key):
        if not self._request_processor or idx >= len(self._request_processor):
            return None
        return self._request_processor[idx].get_request_property(key)

    def get_all_request_header(self, idx):
        if not self._request_processor or idx >= len(self._request_processor):
            return {}
        return self._request_processor[idx].get_request_properties()

    def set_response_content_type(self, idx, value):
        self.set_response_header(idx, "content-type", value)

    def get_response_content_type(self, idx):
        headers = self.get_response_headers(idx)
        return headers.get("content-type") or headers.get("Content-Type")

    def get_response_status(self, idx):
        processor = self._request_processor[idx]
        return processor.get_response_status_code(), processor.get_response_status_phrase()

    def set_response_status(self, code=200, phrase="", idx=0):
        """The HTTP status (and reason phrase) of request `idx`'s answer."""
        if self._request_processor is not None and idx < len(self._request_processor):
            self._request_processor[idx].report_status(code, reason_phrase=phrase)

    def set_all_response_status(self, code=200, phrase=""):
        for idx in range(len(self._request_processor or [])):
            self.set_response_status(code, phrase, idx)

    def get_response_headers(self, idx):
        return self._request_processor[idx].get_response_headers()

    def set_response_header(self, idx, key, value):
        self._request_processor[idx].add_response_property(key, value)

    def get_sequence_id(self, idx):
        return self.get_request_header(idx, "ts_request_sequence_id")

    def __eq__(self, other):
        return isinstance(other, Context) and self.__dict__ == other.__dict__
