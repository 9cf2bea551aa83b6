#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace hearth::core {

namespace {
// The shortest %g form of `v` that reads back as `v` (what trying %.1g,
// %.2g, ... %.17g until one round-trips gives), from one shortest
// round-trip conversion: its digits and exponent, laid out by %g's rule
// (fixed when -4 <= exponent < digits).
std::string ShortestRoundTrip(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  const size_t e = sci.find('e');
  int exponent = 0;  // after "e" and its sign (to_chars writes no terminator)
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exponent);
  if (sci[e + 1] == '-') exponent = -exponent;
  int digits = 0;
  for (size_t i = 0; i < e; ++i) digits += sci[i] >= '0' && sci[i] <= '9';
  if (exponent < -4 || exponent >= digits) return std::string(sci);
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, std::max(0, digits - 1 - exponent));
  return std::string(buf, r.ptr);
}
}  // namespace

std::string JavaDoubleString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  double a = std::fabs(v);
  char buf[64];
  if (a == 0 || (a >= 1e-3 && a < 1e7)) {
    if (v == std::floor(v) && a < 1e15) {
      std::snprintf(buf, sizeof(buf), "%.1f", v);
      return buf;
    }
    return ShortestRoundTrip(v);
  }
  int exp = static_cast<int>(std::floor(std::log10(a)));
  double mant = v / std::pow(10.0, exp);
  std::string m;
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof(buf), "%.*g", p, mant);
    if (std::strtod(buf, nullptr) * std::pow(10.0, exp) == v || p == 17) break;
  }
  m = buf;
  if (m.find('.') == std::string::npos) m += ".0";
  return m + "E" + std::to_string(exp);
}

namespace {
// 50 us to 60 s, six bounds per decade (1, 1.5, 2, 3, 5, 7): percentiles
// estimated from them (hearth-bench's server split) are within ~25%.
std::vector<double> LatencyBuckets() {
  std::vector<double> bounds;
  for (double decade = 1e-5; decade < 100; decade *= 10) {
    for (double m : {1.0, 1.5, 2.0, 3.0, 5.0, 7.0}) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.3g", m * decade);  // 1e-4, not 0.00010000000000000002
      double b = std::strtod(text, nullptr);
      if (b >= 5e-5 && b < 60) bounds.push_back(b);
    }
  }
  bounds.push_back(60);
  return bounds;
}
std::string PromNumber(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<long long>(v)) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
    return buf;
  }
  return ShortestRoundTrip(v);
}
double Round2(double v) { return std::round(v * 100) / 100; }

long long WallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// TorchServe's host metrics: ((name, unit), value), values rounded as it does.
std::vector<std::pair<std::pair<const char*, const char*>, double>> HostGaugeList(const HostGauges& g) {
  return {{{"CPUUtilization", "Percent"}, Round2(g.cpu_utilization_pct)},
          {{"MemoryUsed", "Megabytes"}, Round2(g.memory_used_mb)},
          {{"MemoryAvailable", "Megabytes"}, Round2(g.memory_available_mb)},
          {{"MemoryUtilization", "Percent"}, Round2(g.memory_utilization_pct)},
          {{"DiskUsage", "Gigabytes"}, Round2(g.disk_usage_gb)},
          {{"DiskAvailable", "Gigabytes"}, Round2(g.disk_available_gb)},
          {{"DiskUtilization", "Percent"}, Round2(g.disk_utilization_pct)}};
}
}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<long long>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  long long cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? PromNumber(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum{" + labels.substr(0, labels.size() - (labels.empty() ? 0 : 1)) + "} " +
         PromNumber(sum_.load(std::memory_order_relaxed)) + "\n";
  out += name + "_count{" + labels.substr(0, labels.size() - (labels.empty() ? 0 : 1)) + "} " +
         std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

ModelMetrics::ModelMetrics(Metrics* owner, std::string model_name)
    : latency(LatencyBuckets()),
      queue_time(LatencyBuckets()),
      inference_time(LatencyBuckets()),
      prediction_time(LatencyBuckets()),
      handler_time(LatencyBuckets()),
      preprocess_time(LatencyBuckets()),
      forward_time(LatencyBuckets()),
      postprocess_time(LatencyBuckets()),
      batch_size({1, 2, 4, 8, 16, 32, 64, 128}),
      owner_(owner),
      model_name_(std::move(model_name)) {}

void ModelMetrics::RecordBatch(const BatchTimings& t) {
  inference_time.Observe(t.round_trip_ms / 1e3);
  prediction_time.Observe(t.prediction_ms / 1e3);
  handler_time.Observe(t.handler_ms / 1e3);
  preprocess_time.Observe(t.preprocess_ms / 1e3);
  forward_time.Observe(t.forward_ms / 1e3);
  postprocess_time.Observe(t.postprocess_ms / 1e3);
  last_handler_ms.store(Round2(t.handler_ms), std::memory_order_relaxed);
  last_prediction_ms.store(Round2(t.prediction_ms), std::memory_order_relaxed);
  last_batch_seq.store(owner_->batch_seq_.fetch_add(1, std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  const long long now = WallSeconds();
  if (owner_->sinks_.model_metrics) {
    const std::string tail = "|#ModelName:" + model_name_ + ",Level:Model|#hostname:" + owner_->hostname_ +
                             ",requestID:" + t.request_ids + ",timestamp:" + std::to_string(now);
    owner_->Log(owner_->sinks_.model_metrics, "HandlerTime", "ms", Round2(t.handler_ms), tail);
    owner_->Log(owner_->sinks_.model_metrics, "PredictionTime", "ms", Round2(t.prediction_ms), tail);
  }
  owner_->RecordHostBatch(t.queue_ms, std::max(0.0, t.round_trip_ms - t.prediction_ms), now);
}

void ModelMetrics::RecordWorkerLoad(const std::string& worker_name, double ms) {
  owner_->RecordWorkerLoad(worker_name, ms);
}

void ModelMetrics::RecordHandlerMetric(const HandlerMetricSample& sample) { owner_->RecordHandlerMetric(sample); }

bool Metrics::Emits(const std::string& name) const {
  return !definitions_ || name.compare(0, 7, "hearth_") == 0 || definitions_->count(name) > 0;
}

std::string Metrics::UnitOf(const std::string& name, const std::string& fallback) const {
  if (!definitions_) return fallback;
  auto it = definitions_->find(name);
  return it == definitions_->end() ? fallback : it->second;
}

void Metrics::Log(const std::function<void(const std::string&)>& sink, const std::string& name,
                  const std::string& unit, double value, const std::string& tail) const {
  if (!sink || !Emits(name)) return;
  sink(name + "." + UnitOf(name, unit) + ":" + JavaDoubleString(value) + tail);
}

std::string Metrics::HostTail(long long ts) const {
  return "|#Level:Host|#hostname:" + hostname_ + ",timestamp:" + std::to_string(ts);
}

void Metrics::RecordHostBatch(double queue_ms, double worker_thread_ms, long long ts) {
  last_queue_ms_.store(Round2(queue_ms), std::memory_order_relaxed);
  last_worker_thread_ms_.store(Round2(worker_thread_ms), std::memory_order_relaxed);
  if (!sinks_.ts_metrics) return;
  const std::string tail = HostTail(ts);
  Log(sinks_.ts_metrics, "QueueTime", "Milliseconds", Round2(queue_ms), tail);
  Log(sinks_.ts_metrics, "WorkerThreadTime", "Milliseconds", Round2(worker_thread_ms), tail);
}

void Metrics::SetHostGauges(const HostGauges& g, long long ts) {
  {
    std::lock_guard lock(gauges_mu_);
    host_gauges_ = g;
    have_host_gauges_ = true;
  }
  if (!sinks_.ts_metrics) return;
  const std::string tail = HostTail(ts);
  for (const auto& [name, value] : HostGaugeList(g)) {
    Log(sinks_.ts_metrics, name.first, name.second, value, tail);
  }
}

void Metrics::RecordWorkerLoad(const std::string& worker_name, double ms) {
  {
    std::lock_guard lock(gauges_mu_);
    worker_load_ms_[worker_name] = Round2(ms);
  }
  if (sinks_.ts_metrics) {
    Log(sinks_.ts_metrics, "WorkerLoadTime", "Milliseconds", Round2(ms),
        "|#WorkerName:" + worker_name + ",Level:Host|#hostname:" + hostname_ + ",timestamp:" +
            std::to_string(WallSeconds()));
  }
}

Metrics::Metrics(std::string hostname) : hostname_(std::move(hostname)) {}

void Metrics::RecordHandlerMetric(const HandlerMetricSample& sample) {
  if (sinks_.model_metrics) sinks_.model_metrics(handler_metrics_.LogLine(sample, hostname_, WallSeconds()));
  if (handler_metrics_.Record(sample) == HandlerMetrics::Outcome::kFirstDrop && on_dropped_handler_metric_) {
    on_dropped_handler_metric_(sample.name);
  }
}

void Metrics::CountResponse(int status) {
  if (status >= 200 && status < 300) requests_2xx_.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 400 && status < 500) requests_4xx_.fetch_add(1, std::memory_order_relaxed);
  else if (status >= 500) requests_5xx_.fetch_add(1, std::memory_order_relaxed);
}

ModelMetrics& Metrics::For(const std::string& model, const std::string& version_label) {
  {
    std::shared_lock lock(mu_);
    auto it = per_model_.find({model, version_label});
    if (it != per_model_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = per_model_[{model, version_label}];
  if (!slot) slot = std::make_unique<ModelMetrics>(this, model);
  return *slot;
}

void Metrics::CountInferenceRequest(const std::string& model, const std::string& version_label) {
  For(model, version_label).requests.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::AddLatency(const std::string& model, const std::string& version_label, long long inference_us,
                         long long queue_us) {
  ModelMetrics& m = For(model, version_label);
  m.inference_us.fetch_add(inference_us, std::memory_order_relaxed);
  m.queue_us.fetch_add(queue_us, std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus(Families which, const std::vector<std::string>& names) const {
  const bool legacy_only = which == Families::kLegacyCountersOnly;
  std::string out;
  auto wanted = [&](const std::string& n) {
    if (!Emits(n)) return false;
    if (names.empty()) return true;
    for (const auto& x : names) {
      if (x == n) return true;
    }
    return false;
  };
  auto header = [&](const std::string& name, const char* type, const char* unit) {
    out += "# HELP " + name + " Torchserve prometheus " + type + " metric with unit: " + UnitOf(name, unit) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
  };
  if (!legacy_only) {
    const std::pair<const char*, long long> hosts[] = {{"Requests2XX", requests_2xx_.load()},
                                                       {"Requests4XX", requests_4xx_.load()},
                                                       {"Requests5XX", requests_5xx_.load()}};
    for (const auto& [name, value] : hosts) {
      if (!wanted(name)) continue;
      header(name, "counter", "Count");
      out += std::string(name) + "{Level=\"Host\",Hostname=\"" + hostname_ + "\",} " +
             JavaDoubleString(double(value)) + "\n";
    }
  }
  const std::string host_labels = "{Level=\"Host\",Hostname=\"" + hostname_ + "\",} ";
  auto gauge = [&](const std::string& name, const char* unit, const std::string& samples) {
    if (samples.empty() || !wanted(name)) return;
    header(name, "gauge", unit);
    out += samples;
  };
  if (!legacy_only) {
    std::lock_guard lock(gauges_mu_);
    if (have_host_gauges_) {
      for (const auto& [name, value] : HostGaugeList(host_gauges_)) {
        gauge(name.first, name.second, std::string(name.first) + host_labels + JavaDoubleString(value) + "\n");
      }
    }
    std::string loads;
    for (const auto& [worker, ms] : worker_load_ms_) {
      loads += "WorkerLoadTime{WorkerName=\"" + worker + "\",Level=\"Host\",Hostname=\"" + hostname_ + "\",} " +
               JavaDoubleString(ms) + "\n";
    }
    gauge("WorkerLoadTime", "Milliseconds", loads);
  }
  std::shared_lock lock(mu_);
  if (!legacy_only) {
    // TorchServe labels these by model name alone: the version that answered last.
    std::map<std::string, const ModelMetrics*> latest;
    for (const auto& [key, c] : per_model_) {
      const uint64_t seq = c->last_batch_seq.load(std::memory_order_relaxed);
      if (seq == 0) continue;
      auto& slot = latest[key.first];
      if (!slot || slot->last_batch_seq.load(std::memory_order_relaxed) < seq) slot = c.get();
    }
    const bool any_batch = !latest.empty();
    std::string handler, prediction;
    for (const auto& [name, c] : latest) {
      const std::string labels = "{ModelName=\"" + name + "\",Level=\"Model\",Hostname=\"" + hostname_ + "\",} ";
      handler += "HandlerTime" + labels + JavaDoubleString(c->last_handler_ms.load()) + "\n";
      prediction += "PredictionTime" + labels + JavaDoubleString(c->last_prediction_ms.load()) + "\n";
    }
    if (any_batch) {
      gauge("QueueTime", "Milliseconds", "QueueTime" + host_labels + JavaDoubleString(last_queue_ms_.load()) + "\n");
      gauge("WorkerThreadTime", "Milliseconds",
            "WorkerThreadTime" + host_labels + JavaDoubleString(last_worker_thread_ms_.load()) + "\n");
    }
    gauge("HandlerTime", "ms", handler);
    gauge("PredictionTime", "ms", prediction);
  }
  const char* families[] = {"ts_inference_requests_total", "ts_inference_latency_microseconds",
                            "ts_queue_latency_microseconds"};
  const char* units[] = {"Count", "Microseconds", "Microseconds"};
  for (int f = 0; f < 3; ++f) {
    if (!wanted(families[f]) || per_model_.empty()) continue;
    header(families[f], "counter", units[f]);
    for (const auto& [key, c] : per_model_) {
      long long v = f == 0 ? c->requests.load() : f == 1 ? c->inference_us.load() : c->queue_us.load();
      out += std::string(families[f]) + "{model_name=\"" + key.first + "\",model_version=\"" + key.second +
             "\",hostname=\"" + hostname_ + "\",} " + JavaDoubleString(double(v)) + "\n";
    }
  }
  if (!legacy_only) {
    handler_metrics_.RenderPrometheus(out, hostname_, [&](const std::string& name) {
      if (names.empty()) return true;
      return std::find(names.begin(), names.end(), name) != names.end();
    });
  }
  if (legacy_only) return out;
  struct Family {
    const char* name;
    const char* help;
    const Histogram ModelMetrics::*histogram;
  };
  const Family hist[] = {
      {"hearth_request_latency_seconds", "Time from receiving a prediction to answering it", &ModelMetrics::latency},
      {"hearth_queue_time_seconds", "Time a prediction waited in the model's queue", &ModelMetrics::queue_time},
      {"hearth_inference_time_seconds", "Time from handing a batch to a worker to its answer",
       &ModelMetrics::inference_time},
      {"hearth_prediction_time_seconds", "The worker's own time for a batch (TorchServe's PredictionTime)",
       &ModelMetrics::prediction_time},
      {"hearth_handler_time_seconds", "The handler's preprocess, inference and postprocess time for a batch",
       &ModelMetrics::handler_time},
      {"hearth_preprocess_time_seconds", "The handler's preprocessing (decoding, resizing, batching) of a batch",
       &ModelMetrics::preprocess_time},
      {"hearth_forward_time_seconds", "The model's forward pass for a batch", &ModelMetrics::forward_time},
      {"hearth_postprocess_time_seconds", "The handler's postprocessing (outputs to answers) of a batch",
       &ModelMetrics::postprocess_time},
      {"hearth_batch_size", "Requests per batch sent to a worker", &ModelMetrics::batch_size}};
  for (const auto& h : hist) {
    if (!wanted(h.name) || per_model_.empty()) continue;
    out += std::string("# HELP ") + h.name + " " + h.help + "\n# TYPE " + h.name + " histogram\n";
    for (const auto& [key, c] : per_model_) {
      const Histogram& histogram = (*c).*(h.histogram);
      if (histogram.count() == 0) continue;
      std::string labels = "model_name=\"" + key.first + "\",model_version=\"" + key.second + "\",";
      histogram.Render(out, h.name, labels);
    }
  }
  return out;
}

std::vector<std::string> Metrics::RenderLogLines(long long ts, LegacyCounters counters) const {
  std::vector<std::string> lines;
  const std::string tail = "|#Level:Host|#hostname:" + hostname_ + ",timestamp:" + std::to_string(ts);
  auto add = [&](const char* name, const char* unit, double value, const std::string& labels) {
    Log([&lines](const std::string& line) { lines.push_back(line); }, name, unit, value, labels);
  };
  add("Requests2XX", "Count", double(requests_2xx_.load()), tail);
  add("Requests4XX", "Count", double(requests_4xx_.load()), tail);
  add("Requests5XX", "Count", double(requests_5xx_.load()), tail);
  if (counters == LegacyCounters::kOnMetricsEndpoint) return lines;
  std::shared_lock lock(mu_);
  for (const auto& [key, c] : per_model_) {
    const std::string labels = "|#model_name:" + key.first + ",model_version:" + key.second + "|#hostname:" +
                               hostname_ + ",timestamp:" + std::to_string(ts);
    add("ts_inference_requests_total", "Count", double(c->requests.load()), labels);
    add("ts_inference_latency_microseconds", "Microseconds", double(c->inference_us.load()), labels);
    add("ts_queue_latency_microseconds", "Microseconds", double(c->queue_us.load()), labels);
  }
  return lines;
}

}  // namespace hearth::core
