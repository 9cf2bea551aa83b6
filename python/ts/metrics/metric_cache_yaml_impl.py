"""The metric cache filled from a metrics_config file's model_metrics."""

import yaml

from ts.metrics.metric_cache_abstract import MetricCacheAbstract
from ts.metrics.metric_cache_errors import MetricsCacheValueError
from ts.metrics.metric_type_enum import MetricTypes


class MetricsCacheYamlImpl(MetricCacheAbstract):
    def __init__(self, config_file_path=None):
        super().__init__(config_file_path)
        if config_file_path:
            self.initialize_cache()

    def initialize_cache(self):
        with open(self.config_file_path) as f:
            try:
                config = yaml.safe_load(f) or {}
            except yaml.YAMLError as e:
                raise MetricsCacheValueError(f"{self.config_file_path}: not valid YAML: {e}") from None
        sections = config.get("model_metrics") or {}
        if not isinstance(sections, dict):
            raise MetricsCacheValueError(f"{self.config_file_path}: model_metrics must be a mapping")
        for type_name, entries in sections.items():
            try:
                metric_type = MetricTypes(type_name)
            except ValueError:
                raise MetricsCacheValueError(
                    f"{self.config_file_path}: model_metrics.{type_name}: unknown metric type"
                ) from None
            for i, entry in enumerate(entries or []):
                if not isinstance(entry, dict) or "name" not in entry:
                    raise MetricsCacheValueError(
                        f"{self.config_file_path}: model_metrics.{type_name}[{i}]: needs a name"
                    )
                self.add_metric_to_cache(entry["name"], entry.get("unit", ""), entry.get("dimensions") or [],
                                         metric_type)
