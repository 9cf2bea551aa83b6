#include "tools/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hearth::bench {

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  if (q <= 0) return sorted.front();
  if (q >= 100) return sorted.back();
  // Nearest rank: the smallest value with at least q% of samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary s;
  s.count = static_cast<int64_t>(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min_ms = samples.front();
  s.max_ms = samples.back();
  s.mean_ms = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  s.p50_ms = Percentile(samples, 50);
  s.p90_ms = Percentile(samples, 90);
  s.p99_ms = Percentile(samples, 99);
  s.p999_ms = Percentile(samples, 99.9);
  return s;
}

std::vector<std::pair<double, int64_t>> Histogram(const std::vector<double>& samples, int buckets) {
  std::vector<std::pair<double, int64_t>> out;
  if (samples.empty() || buckets <= 0) return out;
  auto [lo_it, hi_it] = std::minmax_element(samples.begin(), samples.end());
  double lo = *lo_it, hi = *hi_it;
  double width = (hi - lo) / buckets;
  if (width <= 0) width = 1e-9;
  out.resize(static_cast<size_t>(buckets));
  for (int i = 0; i < buckets; ++i) out[static_cast<size_t>(i)] = {lo + i * width, 0};
  for (double v : samples) {
    int b = static_cast<int>((v - lo) / width);
    if (b >= buckets) b = buckets - 1;
    if (b < 0) b = 0;
    out[static_cast<size_t>(b)].second++;
  }
  return out;
}

}  // namespace hearth::bench
