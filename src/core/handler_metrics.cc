#include "core/handler_metrics.h"

#include "core/metrics.h"

namespace hearth::core {

const char* MetricKindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter: return "counter";
    case MetricKind::kGauge: return "gauge";
    case MetricKind::kHistogram: return "histogram";
  }
  return "counter";
}

const std::vector<double>& DefaultHistogramBounds() {
  static const std::vector<double> bounds = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                             0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};
  return bounds;
}

void HandlerMetrics::SetOptions(Options options) {
  MutexLock lock(mu_);
  options_ = std::move(options);
}

const HandlerMetricDefinition* HandlerMetrics::DefinitionOf(const std::string& name) const {
  auto it = options_.defined.find(name);
  return it == options_.defined.end() ? nullptr : &it->second;
}

HandlerMetrics::Outcome HandlerMetrics::Record(const HandlerMetricSample& sample) {
  MutexLock lock(mu_);
  const HandlerMetricDefinition* definition = DefinitionOf(sample.name);
  if (!definition && !options_.auto_detect) {
    bool& seen = dropped_[sample.name];
    if (seen) return Outcome::kDropped;
    seen = true;
    return Outcome::kFirstDrop;
  }
  Family& family = families_[sample.name];
  if (family.series.empty()) {
    family.kind = definition ? definition->kind : sample.kind;
    family.unit = definition ? definition->unit : sample.unit;
  }
  Series& series = family.series[sample.dimensions];
  switch (family.kind) {
    case MetricKind::kCounter: series.value += sample.value; break;
    case MetricKind::kGauge: series.value = sample.value; break;
    case MetricKind::kHistogram: {
      const auto& bounds = DefaultHistogramBounds();
      if (series.buckets.empty()) series.buckets.assign(bounds.size() + 1, 0);
      size_t i = 0;
      while (i < bounds.size() && sample.value > bounds[i]) ++i;
      ++series.buckets[i];
      ++series.count;
      series.sum += sample.value;
      break;
    }
  }
  return Outcome::kRecorded;
}

void HandlerMetrics::RenderFamily(std::string& out, const std::string& name, const Family& family,
                                  const std::string& hostname) const {
  const char* type = MetricKindName(family.kind);
  out += "# HELP " + name + " Torchserve prometheus " + type + " metric with unit: " + family.unit + "\n";
  out += "# TYPE " + name + " " + type + "\n";
  for (const auto& [dimensions, series] : family.series) {
    std::string labels;
    for (const auto& [key, value] : dimensions) labels += key + "=\"" + value + "\",";
    labels += "Hostname=\"" + hostname + "\",";
    if (family.kind != MetricKind::kHistogram) {
      out += name + "{" + labels + "} " + JavaDoubleString(series.value) + "\n";
      continue;
    }
    const auto& bounds = DefaultHistogramBounds();
    long long cumulative = 0;
    for (size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += series.buckets[i];
      const std::string le = i < bounds.size() ? JavaDoubleString(bounds[i]) : "+Inf";
      out += name + "_bucket{" + labels + "le=\"" + le + "\",} " + JavaDoubleString(static_cast<double>(cumulative)) +
             "\n";
    }
    out += name + "_count{" + labels + "} " + JavaDoubleString(static_cast<double>(series.count)) + "\n";
    out += name + "_sum{" + labels + "} " + JavaDoubleString(series.sum) + "\n";
  }
}

std::string HandlerMetrics::LogLine(const HandlerMetricSample& sample, const std::string& hostname,
                                    long long timestamp_s) const {
  std::string unit = sample.unit;
  {
    MutexLock lock(mu_);
    if (const HandlerMetricDefinition* definition = DefinitionOf(sample.name)) unit = definition->unit;
  }
  std::string dims;
  for (const auto& [key, value] : sample.dimensions) {
    if (!dims.empty()) dims += ',';
    dims += key + ":" + value;
  }
  std::string line = sample.name + "." + unit + ":" + JavaDoubleString(sample.value) + "|#" + dims +
                     "|#hostname:" + hostname;
  if (!sample.request_id.empty()) line += ",requestID:" + sample.request_id;
  return line + ",timestamp:" + std::to_string(timestamp_s);
}

}  // namespace hearth::core
