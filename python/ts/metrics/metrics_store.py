"""TorchServe's older per-request metrics object, MetricsStore(request_ids, model_name)."""

from ts.metrics.metric_cache_abstract import MetricCacheAbstract


class MetricsStore(MetricCacheAbstract):
    def __init__(self, request_ids, model_name):
        super().__init__()
        self.request_ids = request_ids
        self.model_name = model_name
