#pragma once
// Server metrics with TorchServe's names, labels and Prometheus text format
// (simpleclient 0.9: "# HELP <n> Torchserve prometheus <type> metric with
// unit: <Unit>", samples like `Requests2XX{Level="Host",Hostname="h",} 3.0`).
// Counters are lock-free on the hot path once a label set exists.
// Thread-safe.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hearth::core {

class Metrics {
 public:
  explicit Metrics(std::string hostname);

  // +1 Requests2XX/4XX/5XX for every frontend response.
  void CountResponse(int http_status);
  // ts_inference_requests_total (before queueing, 503s included).
  void CountInferenceRequest(const std::string& model, const std::string& version_label);
  // ts_inference_latency_microseconds / ts_queue_latency_microseconds.
  void AddLatency(const std::string& model, const std::string& version_label, long long inference_us,
                  long long queue_us);

  // Prometheus text. `legacy_only` keeps the three ts_* metrics; `names`
  // (if not empty) keeps only those metric names.
  std::string RenderPrometheus(bool legacy_only, const std::vector<std::string>& names) const;

  const std::string& hostname() const { return hostname_; }

 private:
  struct ModelCounters {
    std::atomic<long long> requests{0};
    std::atomic<long long> inference_us{0};
    std::atomic<long long> queue_us{0};
  };
  ModelCounters& For(const std::string& model, const std::string& version_label);

  std::string hostname_;
  std::atomic<long long> requests_2xx_{0};
  std::atomic<long long> requests_4xx_{0};
  std::atomic<long long> requests_5xx_{0};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ModelCounters>> per_model_;  // guarded by mu_
};

// A double as Java's Double.toString prints it ("3.0", "1.5E7").
std::string JavaDoubleString(double value);

}  // namespace hearth::core
