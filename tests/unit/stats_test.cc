#include "tools/bench/stats.h"

#include <gtest/gtest.h>

namespace hearth::bench {
namespace {

TEST(StatsTest, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 50), 50);
  EXPECT_EQ(Percentile(v, 90), 90);
  EXPECT_EQ(Percentile(v, 99), 99);
  EXPECT_EQ(Percentile(v, 99.9), 100);
  EXPECT_EQ(Percentile(v, 100), 100);
  EXPECT_EQ(Percentile({}, 50), 0);
}

TEST(StatsTest, SummaryOfUnsortedSamples) {
  LatencySummary s = Summarize({5, 1, 3, 2, 4});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3);
  EXPECT_EQ(s.min_ms, 1);
  EXPECT_EQ(s.max_ms, 5);
  EXPECT_EQ(s.p50_ms, 3);
}

TEST(StatsTest, HistogramCountsEverySample) {
  auto h = Histogram({0, 1, 2, 3, 4, 5, 6, 7, 8, 10}, 5);
  ASSERT_EQ(h.size(), 5u);
  int64_t total = 0;
  for (auto& [lo, n] : h) total += n;
  EXPECT_EQ(total, 10);
  EXPECT_EQ(h.back().second, 2);  // 8 and 10 (the max lands in the last bucket)
}

}  // namespace
}  // namespace hearth::bench
