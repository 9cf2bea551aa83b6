#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "common/proc_stats.h"
#include "core/host_stats.h"
#include "core/metrics.h"

namespace hearth::core {
namespace {

BatchTimings Batch() {
  BatchTimings t;
  t.queue_ms = 1.25;
  t.round_trip_ms = 10.5;
  t.prediction_ms = 9.0;
  t.handler_ms = 8.123;
  t.request_ids = "a,b";
  return t;
}

TEST(Metrics, BatchFeedsTorchServeGaugesAndHistograms) {
  Metrics metrics("h");
  metrics.For("m", "1.0").RecordBatch(Batch());
  const std::string text = metrics.RenderPrometheus(Metrics::Families::kAll, {});
  EXPECT_NE(text.find("# HELP HandlerTime Torchserve prometheus gauge metric with unit: ms\n# TYPE HandlerTime gauge\n"
                      "HandlerTime{ModelName=\"m\",Level=\"Model\",Hostname=\"h\",} 8.12\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("PredictionTime{ModelName=\"m\",Level=\"Model\",Hostname=\"h\",} 9.0\n"), std::string::npos);
  EXPECT_NE(text.find("QueueTime{Level=\"Host\",Hostname=\"h\",} 1.25\n"), std::string::npos);
  // Round trip minus the worker's own time.
  EXPECT_NE(text.find("WorkerThreadTime{Level=\"Host\",Hostname=\"h\",} 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_handler_time_seconds_count{model_name=\"m\",model_version=\"1.0\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("hearth_prediction_time_seconds_sum{model_name=\"m\",model_version=\"1.0\"} 0.009"),
            std::string::npos);
  // Legacy mode: only the three ts_* counters.
  const std::string legacy = metrics.RenderPrometheus(Metrics::Families::kLegacyCountersOnly, {});
  EXPECT_EQ(legacy.find("HandlerTime"), std::string::npos);
  EXPECT_EQ(legacy.find("QueueTime"), std::string::npos);
  // The name filter applies to gauges too.
  const std::string only = metrics.RenderPrometheus(Metrics::Families::kAll, {"QueueTime"});
  EXPECT_NE(only.find("QueueTime{"), std::string::npos);
  EXPECT_EQ(only.find("HandlerTime"), std::string::npos);
}

TEST(Metrics, GaugesShowTheVersionThatAnsweredLast) {
  Metrics metrics("h");
  BatchTimings t = Batch();
  t.handler_ms = 5;
  metrics.For("m", "2.0").RecordBatch(t);
  t.handler_ms = 7;
  metrics.For("m", "1.0").RecordBatch(t);  // "1.0" sorts first but answered last
  const std::string text = metrics.RenderPrometheus(Metrics::Families::kAll, {});
  EXPECT_NE(text.find("HandlerTime{ModelName=\"m\",Level=\"Model\",Hostname=\"h\",} 7.0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("HandlerTime{ModelName=\"m\",Level=\"Model\",Hostname=\"h\",} 5.0"), std::string::npos);
  metrics.For("m", "2.0").RecordBatch(t = Batch());
  EXPECT_NE(metrics.RenderPrometheus(Metrics::Families::kAll, {}).find("HandlerTime{ModelName=\"m\",Level=\"Model\",Hostname=\"h\",} 8.12\n"),
            std::string::npos);
}

TEST(Metrics, NoBatchNoGauges) {
  Metrics metrics("h");
  metrics.For("m", "default").requests = 3;
  const std::string text = metrics.RenderPrometheus(Metrics::Families::kAll, {});
  EXPECT_EQ(text.find("HandlerTime"), std::string::npos);
  EXPECT_EQ(text.find("QueueTime"), std::string::npos);
  EXPECT_EQ(text.find("CPUUtilization"), std::string::npos);  // not sampled yet
}

TEST(Metrics, LogModeLinesGoToTheirFiles) {
  Metrics metrics("h");
  std::vector<std::string> ts, model;
  metrics.SetLogSinks({[&](const std::string& l) { ts.push_back(l); },
                       [&](const std::string& l) { model.push_back(l); }});
  metrics.For("m", "1.0").RecordBatch(Batch());
  ASSERT_EQ(model.size(), 2u);
  EXPECT_TRUE(std::regex_match(
      model[0], std::regex(R"(HandlerTime\.ms:8\.12\|#ModelName:m,Level:Model\|#hostname:h,requestID:a,b,timestamp:\d+)")))
      << model[0];
  EXPECT_TRUE(std::regex_match(model[1], std::regex(R"(PredictionTime\.ms:9\.0\|#ModelName:m,.*)"))) << model[1];
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_TRUE(std::regex_match(ts[0], std::regex(R"(QueueTime\.Milliseconds:1\.25\|#Level:Host\|#hostname:h,timestamp:\d+)")))
      << ts[0];
  EXPECT_TRUE(std::regex_match(ts[1], std::regex(R"(WorkerThreadTime\.Milliseconds:1\.5\|#Level:Host\|.*)"))) << ts[1];

  metrics.For("m", "1.0").RecordWorkerLoad("W-9000-m_1.0", 412.345);
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_TRUE(std::regex_match(
      ts[2], std::regex(R"(WorkerLoadTime\.Milliseconds:412\.35\|#WorkerName:W-9000-m_1\.0,Level:Host\|#hostname:h,timestamp:\d+)")))
      << ts[2];
  EXPECT_NE(metrics.RenderPrometheus(Metrics::Families::kAll, {}).find(
                "WorkerLoadTime{WorkerName=\"W-9000-m_1.0\",Level=\"Host\",Hostname=\"h\",} 412.35\n"),
            std::string::npos);

  HostGauges g;
  g.cpu_utilization_pct = 12.345;
  g.memory_used_mb = 2048;
  g.memory_available_mb = 1024.5;
  g.memory_utilization_pct = 66.67;
  g.disk_usage_gb = 10;
  g.disk_available_gb = 20;
  g.disk_utilization_pct = 33.33;
  metrics.SetHostGauges(g, 1700000000);
  ASSERT_EQ(ts.size(), 10u);
  EXPECT_EQ(ts[3], "CPUUtilization.Percent:12.35|#Level:Host|#hostname:h,timestamp:1700000000");
  EXPECT_EQ(ts[5], "MemoryAvailable.Megabytes:1024.5|#Level:Host|#hostname:h,timestamp:1700000000");
  EXPECT_EQ(ts[9], "DiskUtilization.Percent:33.33|#Level:Host|#hostname:h,timestamp:1700000000");
  const std::string text = metrics.RenderPrometheus(Metrics::Families::kAll, {});
  EXPECT_NE(text.find("# TYPE MemoryUsed gauge\nMemoryUsed{Level=\"Host\",Hostname=\"h\",} 2048.0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP DiskAvailable Torchserve prometheus gauge metric with unit: Gigabytes\n"),
            std::string::npos);

  // Legacy mode logs everything but the three ts_* counters it serves.
  auto lines = metrics.RenderLogLines(1700000000, Metrics::LegacyCounters::kOnMetricsEndpoint);
  for (const auto& l : lines) EXPECT_EQ(l.find("ts_"), std::string::npos) << l;
  EXPECT_FALSE(lines.empty());
}

TEST(HostStats, UtilizationFromTwoSamples) {
  HostSample before, after;
  before.cores = ParseProcStat("cpu0 10 0 10 80 0 0 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0 0 0\n");
  after.cores = ParseProcStat("cpu0 40 0 10 130 0 0 0 0 0 0\ncpu1 0 0 20 180 0 0 0 0 0 0\n");
  after.memory = {16 * 1024 * 1024, 4 * 1024 * 1024};  // 16 GiB, 4 GiB available
  after.disk_total_bytes = 100ull << 30;
  after.disk_free_bytes = 40ull << 30;       // 60 GiB used
  after.disk_available_bytes = 30ull << 30;  // 10 GiB reserved for root
  HostGauges g = ComputeHostGauges(before, after);
  EXPECT_DOUBLE_EQ(g.cpu_utilization_pct, 100.0 * (30 + 20) / (80 + 100));
  EXPECT_DOUBLE_EQ(g.memory_used_mb, 12 * 1024);
  EXPECT_DOUBLE_EQ(g.memory_available_mb, 4 * 1024);
  EXPECT_DOUBLE_EQ(g.memory_utilization_pct, 75);
  EXPECT_DOUBLE_EQ(g.disk_usage_gb, 60);
  EXPECT_DOUBLE_EQ(g.disk_available_gb, 30);
  EXPECT_DOUBLE_EQ(g.disk_utilization_pct, 100.0 * 60 / 90);
  // No time passed: 0, not NaN.
  EXPECT_EQ(ComputeHostGauges(after, after).cpu_utilization_pct, 0);
  // More available than total (some containers): 0 used, not a wrapped number.
  HostSample odd = after;
  odd.memory = {1000, 2000};
  EXPECT_EQ(ComputeHostGauges(after, odd).memory_used_mb, 0);
}

TEST(HostStats, CoresMatchByNumberAndCountersGoingBackwardsCountAsNothing) {
  // cpu1 went offline between the readings; cpu2's iowait went backwards.
  auto before = ParseProcStat("cpu0 10 0 0 90 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0\ncpu2 10 0 0 80 10 0 0 0\n");
  auto after = ParseProcStat("cpu0 60 0 0 140 0 0 0 0\ncpu2 20 0 0 80 5 0 0 0\n");
  ASSERT_EQ(after[1].cpu, 2);
  auto busy = CoreBusyPercent(before, after);
  ASSERT_EQ(busy.size(), 2u);
  EXPECT_DOUBLE_EQ(busy[0], 50);   // cpu0: 50 busy of 100
  EXPECT_DOUBLE_EQ(busy[1], 100);  // cpu2: busy +10, total +5 -> clamped, never wrapped
  EXPECT_GE(HostBusyPercent(before, after), 0);
  EXPECT_LE(HostBusyPercent(before, after), 100);
}

TEST(HostStats, Meminfo) {
  auto m = ParseMeminfo("MemTotal:       24567890 kB\nMemFree:  100 kB\nMemAvailable:   12345678 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->total_kb, 24567890u);
  EXPECT_EQ(m->available_kb, 12345678u);
  EXPECT_FALSE(ParseMeminfo("MemTotal: 1 kB\n"));
}

TEST(MetricsTest, JavaDoubleStringIsJavasDoubleToString) {
  // Java's Double.toString, as TorchServe's metric lines print values.
  EXPECT_EQ(JavaDoubleString(0.25), "0.25");
  EXPECT_EQ(JavaDoubleString(1.0), "1.0");
  EXPECT_EQ(JavaDoubleString(0.0), "0.0");
  EXPECT_EQ(JavaDoubleString(12.34), "12.34");
  EXPECT_EQ(JavaDoubleString(-3.5), "-3.5");
  EXPECT_EQ(JavaDoubleString(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(JavaDoubleString(123456.789), "123456.789");
  EXPECT_EQ(JavaDoubleString(0.001), "0.001");
  EXPECT_EQ(JavaDoubleString(1e-5), "1.0E-5");
  EXPECT_EQ(JavaDoubleString(1.5e8), "1.5E8");
  EXPECT_EQ(JavaDoubleString(9999999.25), "9999999.25");
}

}  // namespace
}  // namespace hearth::core
