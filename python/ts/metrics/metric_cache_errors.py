"""Errors of the metric cache."""


class GeneralMetricsCacheError(Exception):
    pass


class MetricsCacheTypeError(GeneralMetricsCacheError, TypeError):
    pass


class MetricsCacheKeyError(GeneralMetricsCacheError, KeyError):
    pass


class MetricsCacheValueError(GeneralMetricsCacheError, ValueError):
    pass
