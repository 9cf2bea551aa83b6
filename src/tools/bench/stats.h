#pragma once
// Latency statistics for benchmark reports. Pure; exact (sorts the samples).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hearth::bench {

struct LatencySummary {
  int64_t count = 0;
  double mean_ms = 0, min_ms = 0, max_ms = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0;
};

// Nearest-rank percentile (q in [0, 100]) of sorted samples; 0 when empty.
double Percentile(const std::vector<double>& sorted, double q);
LatencySummary Summarize(std::vector<double> samples_ms);
// Counts per bucket for a histogram plot: `buckets` equal-width bins from
// min to max; returns (bucket lower bound, count).
std::vector<std::pair<double, int64_t>> Histogram(const std::vector<double>& samples_ms, int buckets);

}  // namespace hearth::bench
