#include "core/handler_metrics.h"

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace hearth::core {
namespace {

HandlerMetricSample Sample(const std::string& name, MetricKind kind, double value,
                           std::vector<std::pair<std::string, std::string>> dims = {{"ModelName", "mnist"}}) {
  HandlerMetricSample s;
  s.name = name;
  s.unit = "count";
  s.kind = kind;
  s.value = value;
  s.dimensions = std::move(dims);
  return s;
}

std::string Render(const HandlerMetrics& m) {
  std::string out;
  m.RenderPrometheus(out, "h", [](const std::string&) { return true; });
  return out;
}

TEST(HandlerMetricsTest, CountersAddGaugesKeepTheLastValue) {
  HandlerMetrics m(HandlerMetrics::Options{{}, /*auto_detect=*/true});
  m.Record(Sample("Calls", MetricKind::kCounter, 1));
  m.Record(Sample("Calls", MetricKind::kCounter, 2));
  m.Record(Sample("Batch", MetricKind::kGauge, 4));
  m.Record(Sample("Batch", MetricKind::kGauge, 3));
  const std::string text = Render(m);
  EXPECT_NE(text.find("# HELP Calls Torchserve prometheus counter metric with unit: count\n# TYPE Calls counter\n"
                      "Calls{ModelName=\"mnist\",Hostname=\"h\",} 3.0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Batch{ModelName=\"mnist\",Hostname=\"h\",} 3.0\n"), std::string::npos) << text;
}

TEST(HandlerMetricsTest, HistogramsUsePrometheusDefaultBuckets) {
  HandlerMetrics m(HandlerMetrics::Options{{}, true});
  m.Record(Sample("Pct", MetricKind::kHistogram, 50, {}));
  m.Record(Sample("Pct", MetricKind::kHistogram, 0.3, {}));
  const std::string text = Render(m);
  EXPECT_NE(text.find("Pct_bucket{Hostname=\"h\",le=\"0.25\",} 0.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pct_bucket{Hostname=\"h\",le=\"0.5\",} 1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pct_bucket{Hostname=\"h\",le=\"10.0\",} 1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pct_bucket{Hostname=\"h\",le=\"+Inf\",} 2.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pct_count{Hostname=\"h\",} 2.0\nPct_sum{Hostname=\"h\",} 50.3\n"), std::string::npos) << text;
}

TEST(HandlerMetricsTest, UndefinedMetricsAreDroppedWithoutAutoDetection) {
  HandlerMetrics::Options options;
  options.defined["Known"] = {MetricKind::kGauge, "kB"};
  HandlerMetrics m(options);
  EXPECT_EQ(m.Record(Sample("Unknown", MetricKind::kCounter, 1)), HandlerMetrics::Outcome::kFirstDrop);
  EXPECT_EQ(m.Record(Sample("Unknown", MetricKind::kCounter, 1)), HandlerMetrics::Outcome::kDropped);
  // The definition's type and unit win over the handler's.
  EXPECT_EQ(m.Record(Sample("Known", MetricKind::kCounter, 2)), HandlerMetrics::Outcome::kRecorded);
  const std::string text = Render(m);
  EXPECT_EQ(text.find("Unknown"), std::string::npos);
  EXPECT_NE(text.find("# HELP Known Torchserve prometheus gauge metric with unit: kB"), std::string::npos) << text;
}

TEST(HandlerMetricsTest, LogLinesInTorchServesForm) {
  HandlerMetrics m;
  HandlerMetricSample s = Sample("SizeOfImage", MetricKind::kGauge, 0.25, {{"ModelName", "mnist"}, {"Level", "Model"}});
  s.unit = "kB";
  s.request_id = "abc";
  EXPECT_EQ(m.LogLine(s, "h", 1700000000),
            "SizeOfImage.kB:0.25|#ModelName:mnist,Level:Model|#hostname:h,requestID:abc,timestamp:1700000000");
}

TEST(HandlerMetricsTest, MetricsLogsEverySampleInLogMode) {
  Metrics metrics("h");
  std::vector<std::string> lines;
  metrics.SetLogSinks({nullptr, [&](const std::string& line) { lines.push_back(line); }});
  metrics.RecordHandlerMetric(Sample("Calls", MetricKind::kCounter, 1));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("Calls.count:1.0|#ModelName:mnist|#hostname:h,timestamp:", 0), 0u) << lines[0];
}

}  // namespace
}  // namespace hearth::core
