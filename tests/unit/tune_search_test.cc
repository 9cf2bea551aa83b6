// hearth-tune's search without servers: the stages, what counts as better,
// the Pareto front, the bottleneck.
#include "tools/tune/search.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

namespace hearth::tune {
namespace {

Measurement Throughput(double req_s, double p99_ms = 10) {
  Measurement m;
  m.ok = true;
  m.throughput = req_s;
  m.p50_ms = p99_ms / 2;
  m.p99_ms = p99_ms;
  return m;
}

// Runs the planner to the end against a model of the machine: `speed`
// gives each candidate's measurement. Returns the labels in the order tried.
std::vector<std::string> Search(Planner& planner, const std::function<Measurement(const Candidate&)>& speed) {
  std::vector<std::string> order;
  for (auto batch = planner.Next(); !batch.empty(); batch = planner.Next()) {
    for (const Candidate& c : batch) {
      planner.Record(c, speed(c));
      order.push_back(c.Label());
    }
  }
  return order;
}

TEST(TuneSearchTest, StagesFollowWhatImproves) {
  Planner planner(2, {Precision::kFp32, Precision::kIpex, Precision::kInt8}, Objective{});
  // Two workers beat one; batching helps up to 4; the delay rule does not
  // help; int8 doubles throughput and then one worker with two cores wins.
  auto speed = [](const Candidate& c) {
    double base = c.workers == 2 ? 1000 : 800;
    const std::map<int, double> batch_gain = {{1, 1.0}, {2, 1.2}, {4, 1.3}, {8, 1.25}, {16, 1.2}};
    base *= batch_gain.at(c.batch_size);
    if (!c.adaptive) base *= 0.97;
    if (c.precision == Precision::kIpex) base *= 1.01;  // within noise: not taken
    if (c.precision == Precision::kInt8) base *= c.workers == 1 ? 2.6 : 2.0;
    Measurement m = Throughput(base);
    if (c.precision != Precision::kFp32) m.agreement = 1.0;
    return m;
  };
  EXPECT_EQ(Search(planner, speed),
            (std::vector<std::string>{"1x2 b1 fp32", "2x1 b1 fp32", "2x1 b2 adaptive fp32", "2x1 b4 adaptive fp32",
                                      "2x1 b8 adaptive fp32", "2x1 b4 delay 5ms fp32", "2x1 b4 delay 20ms fp32",
                                      "2x1 b4 adaptive ipex", "2x1 b4 adaptive int8", "1x2 b4 adaptive int8"}));
  ASSERT_TRUE(planner.Best().has_value());
  EXPECT_EQ(planner.Best()->candidate.Label(), "1x2 b4 adaptive int8");
  EXPECT_TRUE(planner.Next().empty());
  // Resumed from the state file (the same measurements, recorded in the same order): nothing left to measure.
  Planner resumed(2, {Precision::kFp32, Precision::kIpex, Precision::kInt8}, Objective{});
  for (const auto& t : planner.all()) resumed.Record(t.candidate, t.measurement);
  EXPECT_TRUE(resumed.Next().empty());
  EXPECT_EQ(resumed.Best()->candidate.Label(), "1x2 b4 adaptive int8");
}

TEST(TuneSearchTest, APrecisionBelowTheAgreementThresholdIsRejected) {
  Planner planner(1, {Precision::kFp32, Precision::kInt8}, Objective{});
  Search(planner, [](const Candidate& c) {
    Measurement m = Throughput(c.precision == Precision::kInt8 ? 5000 : 1000);
    if (c.batch_size > 1) m.throughput *= 0.9;  // batching does not help
    if (c.precision == Precision::kInt8) m.agreement = 0.95;
    return m;
  });
  ASSERT_TRUE(planner.Best().has_value());
  EXPECT_EQ(planner.Best()->candidate.precision, Precision::kFp32);
}

TEST(TuneSearchTest, TheSloObjectiveScoresTheRateMeetingIt) {
  Objective slo{Objective::Kind::kSlo, 20, 0.99};
  Measurement fast = Throughput(1000), steady = Throughput(800);
  fast.slo_rate = -1;  // no rate met the SLO
  steady.slo_rate = 600;
  EXPECT_FALSE(Admissible(fast, slo));
  EXPECT_TRUE(Better(steady, fast, slo));
  Planner planner(2, {Precision::kFp32}, slo);
  Search(planner, [](const Candidate& c) {
    Measurement m = Throughput(c.workers * 500.0 * c.batch_size);
    m.slo_rate = c.batch_size > 1 ? -1 : c.workers * 400.0;  // batching breaks the SLO
    return m;
  });
  EXPECT_EQ(planner.Best()->candidate.Label(), "2x1 b1 fp32");
}

TEST(TuneSearchTest, NoiseDoesNotPickAMoreElaborateConfiguration) {
  Objective o;
  EXPECT_FALSE(Better(Throughput(1015), Throughput(1000), o));  // 1.5% < kMinGain
  EXPECT_TRUE(Better(Throughput(1030), Throughput(1000), o));
  Measurement failed;
  EXPECT_FALSE(Better(failed, Throughput(1), o));
  EXPECT_TRUE(Better(Throughput(1), failed, o));
  Objective latency{Objective::Kind::kLatency, 0, 0.99};
  EXPECT_TRUE(Better(Throughput(1, 2), Throughput(1, 4), latency));  // p50 1 ms beats 2 ms
}

TEST(TuneSearchTest, LayoutsAreTheCoreCountsDivisors) {
  EXPECT_EQ(Layouts(2), (std::vector<std::pair<int, int>>{{1, 2}, {2, 1}}));
  EXPECT_EQ(Layouts(6), (std::vector<std::pair<int, int>>{{1, 6}, {2, 3}, {3, 2}, {6, 1}}));
  EXPECT_EQ(Layouts(1), (std::vector<std::pair<int, int>>{{1, 1}}));
  Candidate c;
  c.workers = 2;
  c.batch_size = 4;
  EXPECT_EQ(ConcurrencyFor(c), 16);
}

TEST(TuneSearchTest, ParetoFrontKeepsTheUndominated) {
  // (throughput, p99)
  std::vector<std::pair<double, double>> points = {{100, 5}, {200, 10}, {150, 12}, {300, 30}, {250, 40}};
  EXPECT_EQ(ParetoFront(points), (std::vector<size_t>{0, 1, 3}));
}

TEST(TuneSearchTest, BottleneckFromThePhases) {
  Measurement m;
  m.inference_ms = 10;
  m.preprocess_ms = 1;
  m.forward_ms = 8;
  EXPECT_EQ(Bottleneck(m).rfind("engine-bound", 0), 0u);
  m.preprocess_ms = 6;
  m.forward_ms = 3;
  EXPECT_EQ(Bottleneck(m).rfind("preprocess-bound", 0), 0u);
  m.preprocess_ms = 1;
  m.forward_ms = 2;
  EXPECT_EQ(Bottleneck(m).rfind("server-bound", 0), 0u);
  m.queue_ms = 30;
  EXPECT_NE(Bottleneck(m).find("wait 30.00 ms in the queue"), std::string::npos);
  EXPECT_EQ(Bottleneck(Measurement{}).rfind("unknown", 0), 0u);
}

TEST(TuneSearchTest, CandidatesAndMeasurementsRoundTripThroughTheStateFile) {
  Candidate c;
  c.workers = 2;
  c.batch_size = 8;
  c.adaptive = false;
  c.batch_delay_ms = 20;
  c.precision = Precision::kBf16;
  auto back = Candidate::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Key(), c.Key());
  Measurement m = Throughput(123.5, 7);
  m.agreement = 0.995;
  EXPECT_EQ(Measurement::FromJson(m.ToJson()).ToJson(), m.ToJson());
  EXPECT_FALSE(ParsePrecisions("fp32,fp8").ok());
  EXPECT_EQ(ParsePrecisions(" int8, FP32 ,int8")->size(), 2u);
}

}  // namespace
}  // namespace hearth::tune
