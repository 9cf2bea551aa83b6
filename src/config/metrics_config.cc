#include "config/metrics_config.h"

#include <yaml-cpp/yaml.h>

#include "common/files.h"

namespace hearth::config {

StatusOr<MetricsDefinitions> ParseMetricsYaml(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return InvalidArgument(origin + ": expected a mapping with ts_metrics and model_metrics");
  MetricsDefinitions defs;
  try {
    for (const auto& entry : root) {
      const std::string section = entry.first.as<std::string>();
      if (section == "dimensions") {
        if (!entry.second.IsSequence()) return InvalidArgument(origin + ": dimensions: expected a list of names");
        continue;
      }
      if (section != "ts_metrics" && section != "model_metrics") {
        return InvalidArgument(origin + ": " + section + ": unknown section (expected dimensions, ts_metrics, model_metrics)");
      }
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        return InvalidArgument(origin + ": " + section + ": expected a mapping of counter, gauge, histogram");
      }
      for (const auto& by_type : entry.second) {
        const std::string type = by_type.first.as<std::string>();
        const std::string where = section + "." + type;
        if (type != "counter" && type != "gauge" && type != "histogram") {
          return InvalidArgument(origin + ": " + where + ": unknown metric type (expected counter, gauge, histogram)");
        }
        if (by_type.second.IsNull()) continue;
        if (!by_type.second.IsSequence()) return InvalidArgument(origin + ": " + where + ": expected a list of metrics");
        for (size_t i = 0; i < by_type.second.size(); ++i) {
          const YAML::Node metric = by_type.second[i];
          const std::string at = origin + ": " + where + "[" + std::to_string(i) + "]";
          if (!metric.IsMap()) return InvalidArgument(at + ": expected {name, unit, dimensions}");
          for (const char* key : {"name", "unit"}) {
            if (!metric[key] || !metric[key].IsScalar() || metric[key].as<std::string>().empty()) {
              return InvalidArgument(at + ": missing '" + key + "'");
            }
          }
          const YAML::Node dims = metric["dimensions"];
          if (dims && !dims.IsNull()) {
            if (!dims.IsSequence()) return InvalidArgument(at + ".dimensions: expected a list of names");
            for (const auto& d : dims) {
              if (!d.IsScalar()) return InvalidArgument(at + ".dimensions: expected a list of names");
            }
          }
          defs.units[metric["name"].as<std::string>()] = metric["unit"].as<std::string>();
          if (section == "model_metrics") defs.model_metric_types[metric["name"].as<std::string>()] = type;
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": " + e.msg);
  }
  return defs;
}

StatusOr<MetricsDefinitions> LoadMetricsYaml(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return InvalidArgument("metrics_config " + path + ": " + text.status().message());
  return ParseMetricsYaml(*text, "metrics_config " + path);
}

}  // namespace hearth::config
