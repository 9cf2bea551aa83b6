#pragma once
// Metrics a handler emits (TorchServe's ts.metrics API in the Python
// worker): counters add, gauges keep the last value, histograms observe
// (Prometheus' default buckets, as TorchServe's simpleclient). Rendered on
// /metrics in TorchServe's form:
//   # HELP InferenceRequestCount Torchserve prometheus counter metric with unit: count
//   # TYPE InferenceRequestCount counter
//   InferenceRequestCount{ModelName="mnist",Hostname="h",} 3.0
// and, in log mode, one model_metrics.log line per sample:
//   InferenceRequestCount.count:1.0|#ModelName:mnist|#hostname:h,requestID:<id>,timestamp:<s>
//
// Which samples are kept: those metrics_config lists under model_metrics
// (with the file's type and unit), and any other when
// model_metrics_auto_detect=true (with the handler's type and unit). The
// others are dropped, as TorchServe drops them; the first drop of each name
// is reported through Record's return value so the caller can warn once.
//
// Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"

namespace hearth::core {

enum class MetricKind { kCounter, kGauge, kHistogram };
const char* MetricKindName(MetricKind kind);  // "counter", "gauge", "histogram"

struct HandlerMetricSample {
  std::string name;
  std::string unit;
  MetricKind kind = MetricKind::kCounter;
  std::vector<std::pair<std::string, std::string>> dimensions;  // in the handler's order
  double value = 0;
  std::string request_id;  // "" when not tied to a request
};

struct HandlerMetricDefinition {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
};

class HandlerMetrics {
 public:
  struct Options {
    std::map<std::string, HandlerMetricDefinition> defined;  // metrics_config model_metrics
    bool auto_detect = false;                                  // model_metrics_auto_detect
  };
  enum class Outcome { kRecorded, kDropped, kFirstDrop };

  HandlerMetrics() = default;
  explicit HandlerMetrics(Options options) { SetOptions(std::move(options)); }
  void SetOptions(Options options);

  Outcome Record(const HandlerMetricSample& sample);
  // Appends every family whose name `wanted` accepts.
  template <typename Wanted>
  void RenderPrometheus(std::string& out, const std::string& hostname, Wanted wanted) const {
    MutexLock lock(mu_);
    for (const auto& [name, family] : families_) {
      if (wanted(name)) RenderFamily(out, name, family, hostname);
    }
  }
  // The model_metrics.log line of one sample (the definition's unit wins).
  std::string LogLine(const HandlerMetricSample& sample, const std::string& hostname, long long timestamp_s) const;

 private:
  struct Series {
    double value = 0;                 // counter total or last gauge value
    std::vector<long long> buckets;   // histogram: per bound, then +Inf
    long long count = 0;
    double sum = 0;
  };
  struct Family {
    MetricKind kind = MetricKind::kCounter;
    std::string unit;
    std::map<std::vector<std::pair<std::string, std::string>>, Series> series;
  };
  void RenderFamily(std::string& out, const std::string& name, const Family& family,
                    const std::string& hostname) const;
  const HandlerMetricDefinition* DefinitionOf(const std::string& name) const HEARTH_REQUIRES(mu_);

  mutable Mutex mu_;
  Options options_ HEARTH_GUARDED_BY(mu_);
  std::map<std::string, Family> families_ HEARTH_GUARDED_BY(mu_);
  std::map<std::string, bool> dropped_ HEARTH_GUARDED_BY(mu_);
};

// Prometheus' default histogram bounds (simpleclient): 0.005 ... 10.
const std::vector<double>& DefaultHistogramBounds();

}  // namespace hearth::core#include "common/thread_annotations.h"

