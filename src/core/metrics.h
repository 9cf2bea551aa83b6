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
#include <functional>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/handler_metrics.h"

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

class Metrics;

// One answered batch, as the frontend saw it and the worker reported it.
struct BatchTimings {
  double queue_ms = 0;       // the batch's last request: arrival -> taken into the batch
  double round_trip_ms = 0;  // batch handed to the worker -> its answer received
  double prediction_ms = 0;  // the worker's whole Predict (TorchServe's PredictionTime)
  double handler_ms = 0;     // the handler's preprocess + inference + postprocess (HandlerTime)
  double preprocess_ms = 0, forward_ms = 0, postprocess_ms = 0;  // the handler's phases
  std::string request_ids;   // comma-separated, for model_metrics.log
};

struct ModelMetrics {
  ModelMetrics(Metrics* owner, std::string model_name);
  // TorchServe's counters.
  std::atomic<long long> requests{0};
  std::atomic<long long> inference_us{0};
  std::atomic<long long> queue_us{0};
  // Hearth's histograms (seconds; batch size in requests).
  Histogram latency;
  Histogram queue_time;
  Histogram inference_time;
  Histogram prediction_time;
  Histogram handler_time;
  Histogram preprocess_time;
  Histogram forward_time;
  Histogram postprocess_time;
  Histogram batch_size;
  // TorchServe's per-batch gauges (last value, milliseconds).
  std::atomic<double> last_handler_ms{0};
  std::atomic<double> last_prediction_ms{0};
  std::atomic<uint64_t> last_batch_seq{0};  // 0 = no batch yet; larger = more recent (across versions)

  // Feeds the histograms and TorchServe's gauges (HandlerTime,
  // PredictionTime, and the host's QueueTime and WorkerThreadTime = round
  // trip minus the worker's own time); in log and legacy modes also writes
  // their lines to model_metrics.log and ts_metrics.log.
  void RecordBatch(const BatchTimings& timings);
  // WorkerLoadTime (host level): a worker's start to its model loaded.
  void RecordWorkerLoad(const std::string& worker_name, double milliseconds);
  // A handler's own metric (see Metrics::RecordHandlerMetric).
  void RecordHandlerMetric(const HandlerMetricSample& sample);

 private:
  Metrics* owner_;
  std::string model_name_;
};

// The host's figures, sampled every metric_time_interval (core/host_stats.h).
struct HostGauges {
  double cpu_utilization_pct = 0;
  double memory_used_mb = 0;
  double memory_available_mb = 0;
  double memory_utilization_pct = 0;
  double disk_usage_gb = 0;
  double disk_available_gb = 0;
  double disk_utilization_pct = 0;
};

// Where TorchServe's log-mode lines go.
struct MetricLogSinks {
  std::function<void(const std::string&)> ts_metrics;     // ts_metrics.log
  std::function<void(const std::string&)> model_metrics;  // model_metrics.log
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

  // Prometheus text: every family, or (legacy metrics mode) the three ts_*
  // counters only; `names` (if not empty) keeps only those families.
  enum class Families { kAll, kLegacyCountersOnly };
  std::string RenderPrometheus(Families families, const std::vector<std::string>& names) const;
  // TorchServe's periodic log-mode lines (ts_metrics.log), e.g.
  // Requests2XX.Count:1.0|#Level:Host|#hostname:h,timestamp:1700000000;
  // the three ts_* counters too unless `counters` says they are served on
  // /metrics instead (legacy mode).
  enum class LegacyCounters { kLogged, kOnMetricsEndpoint };
  std::vector<std::string> RenderLogLines(long long timestamp_s, LegacyCounters counters = LegacyCounters::kLogged) const;

  // Host gauges (CPUUtilization, MemoryUsed ... DiskUtilization), rendered
  // on /metrics; in log and legacy modes also written to ts_metrics.log.
  void SetHostGauges(const HostGauges& gauges, long long timestamp_s);
  // WorkerLoadTime: a worker's start to its model loaded.
  void RecordWorkerLoad(const std::string& worker_name, double milliseconds);
  // Log and legacy modes: where the per-event lines go. Not thread-safe:
  // call before any traffic.
  void SetLogSinks(MetricLogSinks sinks) { sinks_ = std::move(sinks); }
  // metrics_config: emit only the TorchServe metrics named here (name ->
  // unit), with these units; hearth_* families are not affected. Without a
  // call every metric is emitted with TorchServe's default unit. Not
  // thread-safe: call before any traffic.
  void SetDefinitions(std::map<std::string, std::string> units) { definitions_ = std::move(units); }
  bool Emits(const std::string& name) const;

  // A metric a handler emitted (Python worker): kept for /metrics by the
  // rules of core/handler_metrics.h and, in log mode, written to
  // model_metrics.log. Thread-safe.
  void RecordHandlerMetric(const HandlerMetricSample& sample);
  // metrics_config's model_metrics and model_metrics_auto_detect; called
  // once before traffic. `on_dropped(name)` runs the first time a metric is
  // dropped for not being defined.
  void SetHandlerMetricOptions(HandlerMetrics::Options options, std::function<void(const std::string&)> on_dropped) {
    handler_metrics_.SetOptions(std::move(options));
    on_dropped_handler_metric_ = std::move(on_dropped);
  }

  const std::string& hostname() const { return hostname_; }

 private:
  friend struct ModelMetrics;
  void RecordHostBatch(double queue_ms, double worker_thread_ms, long long timestamp_s);
  std::string HostTail(long long timestamp_s) const;
  std::string UnitOf(const std::string& name, const std::string& fallback) const;
  // "<name>.<unit>:<value><tail>" to `sink`, when the metric is emitted.
  void Log(const std::function<void(const std::string&)>& sink, const std::string& name, const std::string& unit,
           double value, const std::string& tail) const;

  std::string hostname_;
  MetricLogSinks sinks_;
  HandlerMetrics handler_metrics_;
  std::function<void(const std::string&)> on_dropped_handler_metric_;
  std::optional<std::map<std::string, std::string>> definitions_;  // metrics_config; none = all
  std::atomic<uint64_t> batch_seq_{0};
  std::atomic<double> last_queue_ms_{0};
  std::atomic<double> last_worker_thread_ms_{0};
  mutable std::mutex gauges_mu_;
  bool have_host_gauges_ = false;                  // guarded by gauges_mu_
  HostGauges host_gauges_;                         // guarded by gauges_mu_
  std::map<std::string, double> worker_load_ms_;  // guarded by gauges_mu_
  std::atomic<long long> requests_2xx_{0};
  std::atomic<long long> requests_4xx_{0};
  std::atomic<long long> requests_5xx_{0};
  mutable std::shared_mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ModelMetrics>> per_model_;  // guarded by mu_
};

// A double as Java's Double.toString prints it ("3.0", "1.5E7").
std::string JavaDoubleString(double value);

}  // namespace hearth::core
