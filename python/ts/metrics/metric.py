"""One metric of a handler: a name, unit, type and dimension names.

add_or_update() records a value; the worker sends what was recorded to the
server after each batch, where counters add up, gauges keep the last value
and histograms observe (Prometheus in metrics_mode=prometheus, otherwise
lines in model_metrics.log).
"""

from ts.metrics.metric_cache_errors import MetricsCacheValueError
from ts.metrics.metric_type_enum import MetricTypes

_TYPE_VALUES = {MetricTypes.COUNTER: 0, MetricTypes.GAUGE: 1, MetricTypes.HISTOGRAM: 2}


class MetricEvent:
    """One recorded value, as it travels to the server."""

    __slots__ = ("name", "unit", "type_value", "dimension_names", "dimension_values", "value", "request_id")

    def __init__(self, metric, value, dimension_values, request_id):
        self.name = metric.metric_name
        self.unit = metric.unit
        self.type_value = _TYPE_VALUES[metric.metric_type]
        self.dimension_names = list(metric.dimension_names)
        self.dimension_values = list(dimension_values)
        self.value = value
        self.request_id = request_id


class Metric:
    def __init__(self, metric_name, unit, dimension_names=None, metric_type=MetricTypes.COUNTER, sink=None):
        if not isinstance(metric_type, MetricTypes):
            raise MetricsCacheValueError(f"metric {metric_name}: metric_type must be a MetricTypes, got {metric_type!r}")
        self.metric_name = metric_name
        self.unit = unit
        self.dimension_names = list(dimension_names or [])
        self.metric_type = metric_type
        self._sink = sink

    def add_or_update(self, value, dimension_values=None, request_id=""):
        """Records `value` for the series named by `dimension_values` (one per
        dimension name, in order)."""
        dimension_values = list(dimension_values or [])
        if len(dimension_values) != len(self.dimension_names):
            raise MetricsCacheValueError(
                f"metric {self.metric_name}: {len(dimension_values)} dimension values given for dimensions "
                f"{self.dimension_names}"
            )
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise MetricsCacheValueError(f"metric {self.metric_name}: value must be a number, got {value!r}")
        if self.metric_type == MetricTypes.COUNTER and value < 0:
            raise MetricsCacheValueError(f"metric {self.metric_name}: a counter cannot decrease (value {value})")
        if self._sink is not None:
            self._sink(MetricEvent(self, value, dimension_values, request_id))

    def update(self, value, request_id="", dimensions=None):
        """TorchServe's older spelling: dimensions as Dimension objects."""
        values = [d.value for d in dimensions] if dimensions else [""] * len(self.dimension_names)
        self.add_or_update(value, values, request_id)

    def __repr__(self):
        return f"Metric({self.metric_name!r}, {self.unit!r}, {self.dimension_names}, {self.metric_type})"
