"""The metric cache behind context.metrics.

Metrics come from metrics_config's model_metrics section (when the server
has one) or are added by the handler (add_metric_to_cache, or the add_*
shortcuts, which also add the ModelName and Level=Model dimensions).
"""

from ts.metrics.dimension import Dimension
from ts.metrics.metric import Metric
from ts.metrics.metric_cache_errors import MetricsCacheKeyError, MetricsCacheTypeError, MetricsCacheValueError
from ts.metrics.metric_type_enum import MetricTypes

TIME_UNITS = ("ms", "s")
SIZE_UNITS = ("MB", "kB", "GB", "B")


class MetricCacheAbstract:
    def __init__(self, config_file_path=None):
        self.config_file_path = config_file_path
        self.cache = {}  # (MetricTypes, name) -> Metric
        self.model_name = None
        self.request_ids = None  # {batch index: request id} during a batch
        self._events = []

    # Recorded values, for the worker to send; clears them.
    def drain_events(self):
        events, self._events = self._events, []
        return events

    def _record(self, event):
        self._events.append(event)

    def add_metric_to_cache(self, metric_name, unit, dimension_names=None, metric_type=MetricTypes.COUNTER):
        """Registers (or replaces) a metric without emitting it."""
        if not isinstance(metric_name, str) or not metric_name:
            raise MetricsCacheTypeError(f"metric name must be a non-empty string, got {metric_name!r}")
        if not isinstance(metric_type, MetricTypes):
            raise MetricsCacheTypeError(f"metric {metric_name}: metric_type must be a MetricTypes, got {metric_type!r}")
        metric = Metric(metric_name, unit, dimension_names or [], metric_type, sink=self._record)
        self.cache[(metric_type, metric_name)] = metric
        return metric

    def get_metric(self, metric_name, metric_type=MetricTypes.COUNTER):
        try:
            return self.cache[(metric_type, metric_name)]
        except KeyError:
            raise MetricsCacheKeyError(f"metric of type {metric_type.value} and name {metric_name} is not in the cache") from None

    def _request_id(self, idx):
        ids = self.request_ids
        if isinstance(ids, dict):
            if idx is None:
                return ",".join(str(v) for v in ids.values())
            return str(ids.get(idx, ""))
        return "" if ids is None else str(ids)

    def _with_default_dimensions(self, dimensions):
        dimensions = list(dimensions or [])
        names = [d.name for d in dimensions]
        if "ModelName" not in names and self.model_name is not None:
            dimensions.append(Dimension("ModelName", self.model_name))
        if "Level" not in names:
            dimensions.append(Dimension("Level", "Model"))
        return dimensions

    def add_metric(self, name, value, unit, idx=None, dimensions=None, metric_type=MetricTypes.COUNTER):
        """Registers the metric if needed (with ModelName and Level added to its
        dimensions) and records `value`."""
        dimensions = self._with_default_dimensions(dimensions)
        metric = self.cache.get((metric_type, name))
        if metric is None or sorted(metric.dimension_names) != sorted(d.name for d in dimensions):
            metric = self.add_metric_to_cache(name, unit, [d.name for d in dimensions], metric_type)
        by_name = {d.name: d.value for d in dimensions}
        metric.add_or_update(value, [by_name[n] for n in metric.dimension_names], self._request_id(idx))
        return metric

    def add_counter(self, name, value, idx=None, dimensions=None, metric_type=MetricTypes.COUNTER):
        return self.add_metric(name, value, "count", idx, dimensions, metric_type)

    def add_time(self, name, value, idx=None, unit="ms", dimensions=None, metric_type=MetricTypes.GAUGE):
        if unit not in TIME_UNITS:
            raise MetricsCacheValueError(f"metric {name}: the unit for a timed metric must be one of {TIME_UNITS}")
        return self.add_metric(name, value, unit, idx, dimensions, metric_type)

    def add_size(self, name, value, idx=None, unit="MB", dimensions=None, metric_type=MetricTypes.GAUGE):
        if unit not in SIZE_UNITS:
            raise MetricsCacheValueError(f"metric {name}: the unit for a size metric must be one of {SIZE_UNITS}")
        return self.add_metric(name, value, unit, idx, dimensions, metric_type)

    def add_percent(self, name, value, idx=None, dimensions=None, metric_type=MetricTypes.GAUGE):
        return self.add_metric(name, value, "percent", idx, dimensions, metric_type)

    def add_error(self, name, value, dimensions=None):
        return self.add_metric(name, value, "", None, dimensions, MetricTypes.COUNTER)
