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

ServerSplit SplitFromScrapes(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                             const std::string& model) {
  ServerSplit s;
  const std::string queue = "hearth_queue_time_seconds", inference = "hearth_inference_time_seconds";
  const double queue_n = Sum(after, queue + "_count", model) - Sum(before, queue + "_count", model);
  if (queue_n > 0) {
    s.available = s.percentiles = true;
    s.requests = static_cast<int64_t>(queue_n);
    s.queue_mean_ms = (Sum(after, queue + "_sum", model) - Sum(before, queue + "_sum", model)) / queue_n * 1e3;
    auto qb = BucketDelta(before, after, queue, model);
    s.queue_p50_ms = HistogramQuantile(qb, 0.5) * 1e3;
    s.queue_p90_ms = HistogramQuantile(qb, 0.9) * 1e3;
    s.queue_p99_ms = HistogramQuantile(qb, 0.99) * 1e3;
    const double inf_n = Sum(after, inference + "_count", model) - Sum(before, inference + "_count", model);
    if (inf_n > 0) {
      s.inference_mean_ms =
          (Sum(after, inference + "_sum", model) - Sum(before, inference + "_sum", model)) / inf_n * 1e3;
      auto ib = BucketDelta(before, after, inference, model);
      s.inference_p50_ms = HistogramQuantile(ib, 0.5) * 1e3;
      s.inference_p90_ms = HistogramQuantile(ib, 0.9) * 1e3;
      s.inference_p99_ms = HistogramQuantile(ib, 0.99) * 1e3;
    }
    const std::string prediction = "hearth_prediction_time_seconds", handler = "hearth_handler_time_seconds";
    const double pred_n = Sum(after, prediction + "_count", model) - Sum(before, prediction + "_count", model);
    if (pred_n > 0) {
      s.worker_times = true;
      s.prediction_mean_ms =
          (Sum(after, prediction + "_sum", model) - Sum(before, prediction + "_sum", model)) / pred_n * 1e3;
      auto pb = BucketDelta(before, after, prediction, model);
      s.prediction_p50_ms = HistogramQuantile(pb, 0.5) * 1e3;
      s.prediction_p90_ms = HistogramQuantile(pb, 0.9) * 1e3;
      s.prediction_p99_ms = HistogramQuantile(pb, 0.99) * 1e3;
      const double handler_n = Sum(after, handler + "_count", model) - Sum(before, handler + "_count", model);
      if (handler_n > 0) {
        s.handler_mean_ms = (Sum(after, handler + "_sum", model) - Sum(before, handler + "_sum", model)) / handler_n * 1e3;
      }
    }
    const double batches = Sum(after, "hearth_batch_size_count", model) - Sum(before, "hearth_batch_size_count", model);
    if (batches > 0) {
      s.batch_size_mean = (Sum(after, "hearth_batch_size_sum", model) - Sum(before, "hearth_batch_size_sum", model)) /
                          batches;
    }
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

std::optional<PidStat> ParsePidStat(std::string_view text) {
  // The command name (field 2) is in parentheses and may hold spaces.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string> f;
  for (const auto& s : Split(text.substr(close + 1), ' ')) {
    if (!s.empty()) f.push_back(s);
  }
  // After ')': state(3) ppid(4) ... utime(14) stime(15) ... rss(24), 1-based.
  if (f.size() < 22) return std::nullopt;
  PidStat p;
  p.ppid = std::atoi(f[1].c_str());
  p.cpu_ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
  p.rss_pages = std::strtoll(f[21].c_str(), nullptr, 10);
  return p;
}

}  // namespace hearth::bench
