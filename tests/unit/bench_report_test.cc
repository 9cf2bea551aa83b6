#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "tools/bench/ab_compat.h"
#include "tools/bench/report.h"
#include "tools/bench/server_metrics.h"

namespace hearth::bench {
namespace {

TEST(ServerMetrics, ParsesPrometheusText) {
  auto samples = ParsePrometheus(
      "# HELP x y\n# TYPE x counter\n"
      "Requests2XX{Level=\"Host\",Hostname=\"h\",} 12.0\n"
      "hearth_queue_time_seconds_bucket{model_name=\"m\",model_version=\"1.0\",le=\"0.001\"} 3\n"
      "hearth_queue_time_seconds_bucket{model_name=\"m\",model_version=\"1.0\",le=\"+Inf\"} 4 1700000000\n"
      "bad line without value\n"
      "plain_metric 2.5e-3\n");
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].name, "Requests2XX");
  EXPECT_EQ(samples[0].labels.at("Level"), "Host");
  EXPECT_EQ(samples[0].value, 12.0);
  EXPECT_EQ(samples[2].labels.at("le"), "+Inf");
  EXPECT_EQ(samples[2].value, 4);
  EXPECT_DOUBLE_EQ(samples[3].value, 0.0025);
}

TEST(ServerMetrics, HistogramQuantileInterpolatesInsideBuckets) {
  // 10 values <= 1, 10 more <= 2, none above.
  std::vector<std::pair<double, double>> h = {{1, 10}, {2, 20}, {INFINITY, 20}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.75), 1.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 1.0), 2.0);
  // Everything above the last finite bound: that bound.
  EXPECT_DOUBLE_EQ(HistogramQuantile({{1, 0}, {INFINITY, 5}}, 0.5), 1.0);
  EXPECT_EQ(HistogramQuantile({}, 0.5), 0);
}

std::string Scrape(double queue_sum, double queue_count, double le_1ms, double inf_sum, double inf_count) {
  std::ostringstream s;
  s << "hearth_queue_time_seconds_bucket{model_name=\"m\",le=\"0.001\"} " << le_1ms << "\n"
    << "hearth_queue_time_seconds_bucket{model_name=\"m\",le=\"0.01\"} " << queue_count << "\n"
    << "hearth_queue_time_seconds_bucket{model_name=\"m\",le=\"+Inf\"} " << queue_count << "\n"
    << "hearth_queue_time_seconds_sum{model_name=\"m\",} " << queue_sum << "\n"
    << "hearth_queue_time_seconds_count{model_name=\"m\",} " << queue_count << "\n"
    << "hearth_inference_time_seconds_bucket{model_name=\"m\",le=\"0.01\"} " << inf_count << "\n"
    << "hearth_inference_time_seconds_bucket{model_name=\"m\",le=\"+Inf\"} " << inf_count << "\n"
    << "hearth_inference_time_seconds_sum{model_name=\"m\",} " << inf_sum << "\n"
    << "hearth_inference_time_seconds_count{model_name=\"m\",} " << inf_count << "\n"
    << "hearth_queue_time_seconds_count{model_name=\"other\",} 999\n";
  return s.str();
}

TEST(ServerMetrics, SplitIsTheDifferenceOfTwoScrapes) {
  auto before = ParsePrometheus(Scrape(1.0, 100, 50, 2.0, 100));
  auto after = ParsePrometheus(Scrape(1.2, 200, 150, 2.5, 200));
  ServerSplit s = SplitFromScrapes(before, after, "m");
  ASSERT_TRUE(s.available);
  EXPECT_TRUE(s.percentiles);
  EXPECT_EQ(s.requests, 100);
  EXPECT_NEAR(s.queue_mean_ms, 2.0, 1e-9);      // 0.2 s over 100 requests
  EXPECT_NEAR(s.inference_mean_ms, 5.0, 1e-9);  // 0.5 s over 100
  EXPECT_NEAR(s.queue_p50_ms, 0.5, 1e-9);       // all 100 new ones in [0, 1 ms]
  // TorchServe's counters: means only.
  auto ts_before = ParsePrometheus(
      "ts_inference_requests_total{model_name=\"m\",} 10\nts_queue_latency_microseconds{model_name=\"m\",} 1000\n"
      "ts_inference_latency_microseconds{model_name=\"m\",} 50000\n");
  auto ts_after = ParsePrometheus(
      "ts_inference_requests_total{model_name=\"m\",} 20\nts_queue_latency_microseconds{model_name=\"m\",} 3000\n"
      "ts_inference_latency_microseconds{model_name=\"m\",} 150000\n");
  ServerSplit t = SplitFromScrapes(ts_before, ts_after, "");
  ASSERT_TRUE(t.available);
  EXPECT_FALSE(t.percentiles);
  EXPECT_NEAR(t.queue_mean_ms, 0.2, 1e-9);
  EXPECT_NEAR(t.inference_mean_ms, 10.0, 1e-9);
  EXPECT_FALSE(SplitFromScrapes({}, {}, "m").available);
}

TEST(ServerMetrics, WorkerTimesComeFromPredictionAndHandlerHistograms) {
  auto scrape = [](double pred_sum, int pred_n, double handler_sum) {
    std::ostringstream s;
    s << "hearth_queue_time_seconds_bucket{model_name=\"m\",le=\"+Inf\"} " << pred_n << "\n"
      << "hearth_queue_time_seconds_sum{model_name=\"m\",} 0\n"
      << "hearth_queue_time_seconds_count{model_name=\"m\",} " << pred_n << "\n"
      << "hearth_prediction_time_seconds_bucket{model_name=\"m\",le=\"0.01\"} " << pred_n << "\n"
      << "hearth_prediction_time_seconds_bucket{model_name=\"m\",le=\"+Inf\"} " << pred_n << "\n"
      << "hearth_prediction_time_seconds_sum{model_name=\"m\",} " << pred_sum << "\n"
      << "hearth_prediction_time_seconds_count{model_name=\"m\",} " << pred_n << "\n"
      << "hearth_handler_time_seconds_sum{model_name=\"m\",} " << handler_sum << "\n"
      << "hearth_handler_time_seconds_count{model_name=\"m\",} " << pred_n << "\n";
    return s.str();
  };
  ServerSplit s = SplitFromScrapes(ParsePrometheus(scrape(1.0, 100, 0.5)), ParsePrometheus(scrape(1.4, 150, 0.8)), "m");
  ASSERT_TRUE(s.worker_times);
  EXPECT_NEAR(s.prediction_mean_ms, 8.0, 1e-9);  // 0.4 s over 50 batches
  EXPECT_NEAR(s.handler_mean_ms, 6.0, 1e-9);     // 0.3 s over 50
  EXPECT_NEAR(s.prediction_p50_ms, 5.0, 1e-9);   // all 50 in [0, 10 ms]
  EXPECT_FALSE(SplitFromScrapes(ParsePrometheus(Scrape(1.0, 100, 50, 2.0, 100)),
                                ParsePrometheus(Scrape(1.2, 200, 150, 2.5, 200)), "m")
                   .worker_times);
}

TEST(ServerMetrics, ProcFiles) {
  auto cores = ParseProcStat(
      "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0 0 0\nintr 1 2\n");
  ASSERT_EQ(cores.size(), 2u);
  auto later = ParseProcStat("cpu0 15 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 50 0 0 0 0 0 0\n");
  auto busy = CoreBusyPercent(cores, later);
  EXPECT_DOUBLE_EQ(busy[0], 100);
  EXPECT_DOUBLE_EQ(busy[1], 0);
  auto st = ParsePidStat(
      "1234 (hearth worker) S 99 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 900000 2048 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ppid, 99);
  EXPECT_EQ(st->cpu_ticks, 300u);
  EXPECT_EQ(st->rss_pages, 2048);
  EXPECT_FALSE(ParsePidStat("garbage"));
}

RunRecord MakeRun(const std::string& label, int round, int c, double tput, double p50, const std::string& kind = "hearth") {
  RunRecord r;
  r.label = label;
  r.kind = kind;
  r.round = round;
  r.concurrency = c;
  r.throughput = tput;
  r.ok = 100;
  r.errors = label == "b" ? 1 : 0;
  r.latency.p50_ms = p50;
  r.latencies_ms = {p50, p50 * 2};
  return r;
}

Report SampleReport() {
  Report report;
  report.machine = "test CPU";
  report.cores = 2;
  for (int round : {1, 2, 3}) {
    report.runs.push_back(MakeRun("a", round, 1, 100 + round, 10));
    report.runs.push_back(MakeRun("a", round, 4, 200 + round, 20));
    report.runs.push_back(MakeRun("b", round, 1, 50 + 10 * round, 5));
    report.runs.push_back(MakeRun("b", round, 4, 300, 6));
  }
  report.runs.push_back(MakeRun("raw", 1, 0, 400, 2, "raw"));
  report.samples.push_back({0.5, {10, 90}, 5, 100, 12, 200, 1});
  report.marks.push_back({0.1, "a c=1"});
  return report;
}

TEST(BenchReport, AggregatesMediansAndRatios) {
  auto rows = Aggregate(SampleReport());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].label, "a");
  EXPECT_EQ(rows[0].concurrency, 1);
  EXPECT_EQ(rows[0].rounds, 3);
  EXPECT_DOUBLE_EQ(rows[0].throughput, 102);  // median of 101, 102, 103
  EXPECT_DOUBLE_EQ(rows[0].ratio_to_first, 1);
  EXPECT_EQ(rows[2].label, "b");
  EXPECT_DOUBLE_EQ(rows[2].throughput, 70);  // median of 60, 70, 80
  EXPECT_NEAR(rows[2].ratio_to_first, 70.0 / 102, 1e-12);
  EXPECT_NEAR(rows[3].ratio_to_first, 300.0 / 202, 1e-12);
  EXPECT_NEAR(rows[3].ratio_to_raw, 300.0 / 400, 1e-12);
  EXPECT_EQ(rows[2].requests, 303);  // summed over rounds, errors included
  EXPECT_EQ(rows[2].errors, 3);
  EXPECT_NEAR(rows[2].error_rate_pct, 100.0 * 3 / 303, 1e-9);
  EXPECT_EQ(rows[4].kind, "raw");
}

TEST(BenchReport, CsvHasBenchmarkAbColumnsFirst) {
  auto rows = Aggregate(SampleReport());
  std::string csv = ReportCsv(rows);
  auto lines = Split(csv, '\n');
  ASSERT_GE(lines.size(), 6u);
  const std::vector<std::string> ab = {
      "Benchmark", "TS failed requests", "TS throughput", "TS latency P50", "TS latency P90", "TS latency P99",
      "TS latency mean", "TS error rate", "Batch size", "Batch delay", "Workers", "Model", "Concurrency", "Input",
      "Requests", "Model_p50", "Model_p90", "Model_p99", "Queue time p50", "Queue time p90", "Queue time p99",
      "predict_mean", "handler_time_mean", "waiting_time_mean", "worker_thread_mean", "cpu_percentage_mean",
      "memory_percentage_mean", "gpu_percentage_mean", "gpu_memory_percentage_mean", "gpu_memory_used_mean"};
  auto header = Split(lines[0], ',');
  ASSERT_GE(header.size(), ab.size());
  for (size_t i = 0; i < ab.size(); ++i) EXPECT_EQ(header[i], ab[i]);
  for (size_t i = 1; i <= rows.size(); ++i) EXPECT_EQ(Split(lines[i], ',').size(), header.size()) << lines[i];
  EXPECT_EQ(Split(lines[1], ',')[2], "102.00");
}

TEST(BenchReport, WritesEveryFile) {
  auto dir = std::filesystem::temp_directory_path() / ("hearth-report-test-" + std::to_string(::getpid()));
  auto pngs = WriteReport(dir.string(), SampleReport());
  ASSERT_TRUE(pngs.ok()) << pngs.status().ToString();
  for (const char* f : {"report.csv", "benchmark/ab_report.csv", "report.json", "report.md", "plots.gp", "load.dat",
                        "cpu.dat", "histogram.dat"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  std::ifstream in(dir / "report.json");
  Json j = Json::parse(in);
  EXPECT_EQ(j["rows"].size(), 5u);
  EXPECT_EQ(j["runs"].size(), 13u);
  std::ifstream md(dir / "report.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("| a | 1 | 102.0 | 1.000 |"), std::string::npos) << text.str();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hearth::bench

namespace hearth::bench {
namespace {

StatusOr<std::string> FakeFiles(const std::string& path) {
  if (path == "plan.json") {
    return std::string(R"({"url": "rn50.mar", "concurrency": 8, "requests": 500, "generate_graphs": true,
                           "config_properties": "bench.properties"})");
  }
  if (path == "bad.json") return std::string(R"({"url": "rn50.mar", "warp_speed": 9})");
  if (path == "float.json") return std::string(R"({"batch_delay": 50.0, "concurrency": 10})");
  return NotFound(path + " does not exist");
}

TEST(BenchmarkAbArgs, ShortAliasesBecomeLongOptions) {
  auto args = TranslateBenchmarkAbArgs(
      {"-u", "rn50.mar", "-ic", "image/jpeg", "-bs", "4", "-bd", "50", "-cp", "c.properties", "-imu",
       "predictions/benchmark", "-rl", "out", "-gg", "True", "-c", "8"},
      FakeFiles);
  ASSERT_TRUE(args.ok()) << args.status().message();
  const std::vector<std::string> expected = {
      "-u", "rn50.mar", "--content_type", "image/jpeg", "--batch_size", "4", "--batch_delay", "50",
      "--config_properties", "c.properties", "--inference_model_url", "predictions/benchmark",
      "--report_location", "out", "--generate_graphs", "True", "-c", "8"};
  EXPECT_EQ(*args, expected);
}

TEST(BenchmarkAbArgs, ValuesAndPositionalsAreNotRewritten) {
  auto args = TranslateBenchmarkAbArgs({"-H", "-e", "--json", "-e", "local", "--", "-bs"}, FakeFiles);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args, (std::vector<std::string>{"-H", "-e", "--json", "--exec_env", "local", "--", "-bs"}));
}

TEST(BenchmarkAbArgs, ConfigJsonExpandsAndPropertiesStayProperties) {
  auto args = TranslateBenchmarkAbArgs({"--config", "plan.json", "-i", "kitten.jpg"}, FakeFiles);
  ASSERT_TRUE(args.ok()) << args.status().message();
  const std::vector<std::string> expected = {"--url", "rn50.mar", "--concurrency", "8", "--requests", "500",
                                             "--generate_graphs", "true", "--config_properties", "bench.properties",
                                             "-i", "kitten.jpg"};  // in the file's order
  EXPECT_EQ(*args, expected);
  auto props = TranslateBenchmarkAbArgs({"--config", "config.properties"}, FakeFiles);
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(*props, (std::vector<std::string>{"--config_properties", "config.properties"}));
  auto bad = TranslateBenchmarkAbArgs({"--config", "bad.json"}, FakeFiles);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--config bad.json: unknown key \"warp_speed\"");
  auto missing = TranslateBenchmarkAbArgs({"--config", "none.json"}, FakeFiles);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.json does not exist"), std::string::npos);
  EXPECT_FALSE(TranslateBenchmarkAbArgs({"--config"}, FakeFiles).ok());
  // As with click_config_file, the file gives defaults and the command line wins.
  auto overridden = TranslateBenchmarkAbArgs({"--config", "plan.json", "-c", "2", "--requests=9"}, FakeFiles);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(*overridden, (std::vector<std::string>{"--url", "rn50.mar", "--generate_graphs", "true",
                                                   "--config_properties", "bench.properties", "-c", "2",
                                                   "--requests=9"}));
  auto floats = TranslateBenchmarkAbArgs({"--config", "float.json"}, FakeFiles);
  ASSERT_TRUE(floats.ok());
  EXPECT_EQ(*floats, (std::vector<std::string>{"--batch_delay", "50", "--concurrency", "10"}));
  EXPECT_TRUE(IsBenchmarkAbPreset("vgg11_1000r_10c"));
  EXPECT_FALSE(IsBenchmarkAbPreset("custom"));
}

TEST(BenchReport, FirstConfigurationIsTheFirstServedOne) {
  Report report;
  report.runs.push_back(MakeRun("raw", 1, 0, 400, 2, "raw"));
  report.runs.push_back(MakeRun("a", 1, 4, 100, 10));
  report.runs.push_back(MakeRun("b", 1, 4, 150, 10));
  auto rows = Aggregate(report);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].label, "a");
  EXPECT_DOUBLE_EQ(rows[1].ratio_to_first, 1.0);
  EXPECT_DOUBLE_EQ(rows[2].ratio_to_first, 1.5);
}

TEST(BenchReport, SummaryNamesTheFastestAndSteadiestPerLevel) {
  Report report;
  auto run = [](const std::string& label, int c, double tput, double p99) {
    RunRecord r = MakeRun(label, 1, c, tput, p99 / 2);
    r.errors = 0;
    r.latency.p99_ms = p99;
    return r;
  };
  report.runs = {run("a", 1, 100, 12), run("b", 1, 150, 15), run("a", 4, 200, 40), run("b", 4, 180, 30)};
  auto lines = SummaryLines(Aggregate(report));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "c=1: highest throughput **b** (150.0 req/s, x1.50 the first configuration); lowest p99 **a** (12.00 ms)");
  EXPECT_EQ(lines[1], "c=4: highest throughput **a** (200.0 req/s, x1.00 the first configuration); lowest p99 **b** (30.00 ms)");
  Report single;
  single.runs = {run("a", 1, 100, 12)};
  EXPECT_TRUE(SummaryLines(Aggregate(single)).empty());
}

TEST(BenchReport, AbReportCsvHasExactlyBenchmarkAbColumnsAndNoRawRows) {
  Report report;
  report.runs.push_back(MakeRun("a", 1, 4, 100, 10));
  report.runs.push_back(MakeRun("raw", 1, 0, 400, 2, "raw"));
  auto lines = Split(ReportCsv(Aggregate(report), AbReportColumns(false), true), '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(Split(lines[0], ',').size(), 30u);
  EXPECT_EQ(Split(lines[0], ',').back(), "gpu_memory_used_mean");
  EXPECT_EQ(Split(lines[1], ',').size(), 30u);
  auto profiled = Split(ReportCsv(Aggregate(report), AbReportColumns(true), true), '\n');
  EXPECT_EQ(Split(profiled[0], ',').size(), 33u);
  EXPECT_EQ(Split(profiled[0], ',').back(), "handler_postprocess_mean");
  EXPECT_TRUE(lines.size() == 2 || lines[2].empty());  // the raw row is left out
}

}  // namespace
}  // namespace hearth::bench
