#include "tools/bench/server_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/strings.h"

namespace hearth::bench {
namespace {

double ParseNumber(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str()) return std::nan("");
  return v;
}

bool Matches(const PromSample& s, const std::string& name, const std::string& model) {
  if (s.name != name) return false;
  if (model.empty()) return true;
  auto it = s.labels.find("model_name");
  return it != s.labels.end() && it->second == model;
}

double Sum(const std::vector<PromSample>& samples, const std::string& name, const std::string& model) {
  double total = 0;
  for (const auto& s : samples) {
    if (Matches(s, name, model)) total += s.value;
  }
  return total;
}

// Cumulative bucket counts of `after - before` for a histogram family.
std::vector<std::pair<double, double>> BucketDelta(const std::vector<PromSample>& before,
                                                   const std::vector<PromSample>& after, const std::string& family,
                                                   const std::string& model) {
  std::map<double, double> counts;
  const std::string name = family + "_bucket";
  for (const auto& s : after) {
    if (!Matches(s, name, model)) continue;
    auto le = s.labels.find("le");
    if (le != s.labels.end()) counts[ParseNumber(le->second)] += s.value;
  }
  for (const auto& s : before) {
    if (!Matches(s, name, model)) continue;
    auto le = s.labels.find("le");
    if (le != s.labels.end()) counts[ParseNumber(le->second)] -= s.value;
  }
  return {counts.begin(), counts.end()};
}

}  // namespace

std::vector<PromSample> ParsePrometheus(std::string_view text) {
  std::vector<PromSample> out;
  for (const auto& raw : Split(text, '\n')) {
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    PromSample s;
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos) continue;
    s.name = std::string(line.substr(0, name_end));
    std::string_view rest = line.substr(name_end);
    if (rest.front() == '{') {
      size_t close = rest.find('}');
      if (close == std::string_view::npos) continue;
      std::string_view labels = rest.substr(1, close - 1);
      size_t pos = 0;
      while (pos < labels.size()) {
        size_t eq = labels.find('=', pos);
        if (eq == std::string_view::npos) break;
        std::string key(Trim(labels.substr(pos, eq - pos)));
        size_t q1 = labels.find('"', eq);
        if (q1 == std::string_view::npos) break;
        std::string value;
        size_t i = q1 + 1;
        for (; i < labels.size() && labels[i] != '"'; ++i) {
          if (labels[i] == '\\' && i + 1 < labels.size()) ++i;
          value += labels[i];
        }
        s.labels[key] = value;
        pos = labels.find(',', i);
        if (pos == std::string_view::npos) break;
        ++pos;
      }
      rest = rest.substr(close + 1);
    }
    rest = Trim(rest);
    std::string_view number = rest.substr(0, rest.find(' '));  // a timestamp may follow
    s.value = ParseNumber(number);
    if (std::isnan(s.value)) continue;
    out.push_back(std::move(s));
  }
  return out;
}

double HistogramQuantile(const std::vector<std::pair<double, double>>& cumulative, double q) {
  if (cumulative.empty()) return 0;
  const double total = cumulative.back().second;
  if (total <= 0) return 0;
  const double rank = q * total;
  double prev_bound = 0, prev_count = 0;
  for (const auto& [bound, count] : cumulative) {
    if (count >= rank) {
      if (std::isinf(bound)) return prev_bound;  // above the last finite bound: its value
      const double in_bucket = count - prev_count;
      if (in_bucket <= 0) return bound;
      return prev_bound + (bound - prev_bound) * (rank - prev_count) / in_bucket;
    }
    prev_bound = bound;
    prev_count = count;
  }
  return prev_bound;
}

namespace {
// One Hearth histogram's change between two scrapes: observations, mean
// and percentiles (ms for the *_seconds families).
struct HistogramDelta {
  double n = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;
};
HistogramDelta DeltaOf(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                       const std::string& family, const std::string& model, double scale) {
  HistogramDelta d;
  d.n = Sum(after, family + "_count", model) - Sum(before, family + "_count", model);
  if (d.n <= 0) return d;
  d.mean = (Sum(after, family + "_sum", model) - Sum(before, family + "_sum", model)) / d.n * scale;
  auto buckets = BucketDelta(before, after, family, model);
  d.p50 = HistogramQuantile(buckets, 0.5) * scale;
  d.p90 = HistogramQuantile(buckets, 0.9) * scale;
  d.p99 = HistogramQuantile(buckets, 0.99) * scale;
  return d;
}
}  // namespace

ServerSplit SplitFromScrapes(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                             const std::string& model) {
  ServerSplit s;
  const HistogramDelta queue = DeltaOf(before, after, "hearth_queue_time_seconds", model, 1e3);
  if (queue.n > 0) {
    s.available = s.percentiles = true;
    s.requests = static_cast<int64_t>(queue.n);
    s.queue_mean_ms = queue.mean, s.queue_p50_ms = queue.p50, s.queue_p90_ms = queue.p90, s.queue_p99_ms = queue.p99;
    const HistogramDelta inference = DeltaOf(before, after, "hearth_inference_time_seconds", model, 1e3);
    s.inference_mean_ms = inference.mean, s.inference_p50_ms = inference.p50;
    s.inference_p90_ms = inference.p90, s.inference_p99_ms = inference.p99;
    const HistogramDelta prediction = DeltaOf(before, after, "hearth_prediction_time_seconds", model, 1e3);
    if (prediction.n > 0) {
      s.worker_times = true;
      s.prediction_mean_ms = prediction.mean, s.prediction_p50_ms = prediction.p50;
      s.prediction_p90_ms = prediction.p90, s.prediction_p99_ms = prediction.p99;
      s.handler_mean_ms = DeltaOf(before, after, "hearth_handler_time_seconds", model, 1e3).mean;
      s.preprocess_mean_ms = DeltaOf(before, after, "hearth_preprocess_time_seconds", model, 1e3).mean;
      s.forward_mean_ms = DeltaOf(before, after, "hearth_forward_time_seconds", model, 1e3).mean;
      s.postprocess_mean_ms = DeltaOf(before, after, "hearth_postprocess_time_seconds", model, 1e3).mean;
    }
    s.batch_size_mean = DeltaOf(before, after, "hearth_batch_size", model, 1).mean;
    return s;
  }
  // TorchServe's counters: totals in microseconds.
  const double n = Sum(after, "ts_inference_requests_total", model) - Sum(before, "ts_inference_requests_total", model);
  if (n > 0) {
    s.available = true;
    s.requests = static_cast<int64_t>(n);
    s.queue_mean_ms = (Sum(after, "ts_queue_latency_microseconds", model) -
                       Sum(before, "ts_queue_latency_microseconds", model)) / n / 1e3;
    s.inference_mean_ms = (Sum(after, "ts_inference_latency_microseconds", model) -
                           Sum(before, "ts_inference_latency_microseconds", model)) / n / 1e3;
  }
  return s;
}

}  // namespace hearth::bench
