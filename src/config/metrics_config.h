#pragma once
// metrics_config: TorchServe's metrics.yaml, the list of metrics the server
// emits.
//
//   dimensions: [&model_name "ModelName", ...]      (anchors, optional)
//   ts_metrics:    {counter: [...], gauge: [...], histogram: [...]}
//   model_metrics: {counter: [...], gauge: [...], histogram: [...]}
//   each entry: {name: QueueTime, unit: Milliseconds, dimensions: [Level, Hostname]}
//
// Hearth emits a TorchServe metric only when the file lists it (under any
// section or type), writes it with the file's unit, and ignores listed
// metrics it does not produce (custom handler metrics, GPU, OpenSessions).
// Dimensions are checked for shape but each metric keeps TorchServe's
// default labels. Hearth's own hearth_* families are not governed by the
// file.

#include <map>
#include <string>

#include "common/status.h"

namespace hearth::config {

struct MetricsDefinitions {
  // name -> unit, every metric the file lists.
  std::map<std::string, std::string> units;
  // model_metrics: name -> "counter" | "gauge" | "histogram" (the handler
  // metrics the server accepts from workers without auto-detection).
  std::map<std::string, std::string> model_metric_types;
};

// `origin` names the file in messages ("<file>: ts_metrics.gauge[2]: ...").
StatusOr<MetricsDefinitions> ParseMetricsYaml(const std::string& text, const std::string& origin);
// Reads and parses the file.
StatusOr<MetricsDefinitions> LoadMetricsYaml(const std::string& path);

}  // namespace hearth::config
