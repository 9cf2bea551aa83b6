#pragma once
// Server metrics. TorchServe's names, labels and Prometheus text format
// (simpleclient 0.9: "# HELP <n> Torchserve prometheus <type> metric with
// unit: <Unit>", samples like `Requests2XX{Level="Host",Hostname="h",} 3.0`),
// plus what TorchServe lacks: real histograms of end-to-end latency, queue
// time, inference time and batch size per model, and (rendered by the
// router from the model manager) queue depth, worker restarts, per-worker
// CPU and RSS.
//
// Hot path: a per-model `ModelMetrics` is looked up once (shared lock) and
// then updated with relaxed atomics; no allocation, no exclusive lock.
// Thread-safe.

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace hearth::core {

// A Prometheus histogram with fixed bucket bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // "<name>_bucket{<labels>le="..."} n" lines, then _sum and _count.
  void Render(std::string& out, const std::string& name, const std::string& labels) const;
  long long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<long long>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<long long> count_{0};
  std::atomic<double> sum_{0};
};

struct ModelMetrics {
  ModelMetrics();
  // TorchServe's counters.
  std::atomic<long long> requests{0};
  std::atomic<long long> inference_us{0};
  std::atomic<long long> queue_us{0};
  // Hearth's histograms (seconds; batch size in requests).
  Histogram latency;
  Histogram queue_time;
  Histogram inference_time;
  Histogram batch_size;
};

class Metrics {
 public:
  explicit Metrics(std::string hostname);

  // +1 Requests2XX/4XX/5XX for every frontend response.
  void CountResponse(int http_status);
  // The counters of a model and version label ("default" when the URL named
  // none). The reference stays valid for the Metrics' lifetime.
  ModelMetrics& For(const std::string& model, const std::string& version_label);
  // ts_inference_requests_total (before queueing, 503s included).
  void CountInferenceRequest(const std::string& model, const std::string& version_label);
  // An answered prediction: TorchServe's latency counters (the histograms
  // are fed by the workers, per model version).
  void AddLatency(const std::string& model, const std::string& version_label, long long inference_us,
                  long long queue_us);

  // Prometheus text. `legacy_only` keeps the three ts_* metrics; `names`
  // (if not empty) keeps only those metric families. Histograms only when
  // `with_histograms`.
  std::string RenderPrometheus(bool legacy_only, const std::vector<std::string>& names,
                               bool with_histograms = true) const;
  // TorchServe's log-mode lines (ts_metrics.log), e.g.
  // Requests2XX.Count:1.0|#Level:Host|#hostname:h,timestamp:1700000000
  std::vector<std::string> RenderLogLines(long long timestamp_s) const;

  const std::string& hostname() const { return hostname_; }

 private:
  std::string hostname_;
  std::atomic<long long> requests_2xx_{0};
  std::atomic<long long> requests_4xx_{0};
  std::atomic<long long> requests_5xx_{0};
  mutable std::shared_mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ModelMetrics>> per_model_;  // guarded by mu_
};

// A double as Java's Double.toString prints it ("3.0", "1.5E7").
std::string JavaDoubleString(double value);

}  // namespace hearth::core
