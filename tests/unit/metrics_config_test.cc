#include <gtest/gtest.h>

#include <string>

#include "config/metrics_config.h"
#include "core/metrics.h"

namespace hearth::config {
namespace {

// The shape of TorchServe's default metrics.yaml (an excerpt).
constexpr const char* kDefaultShape = R"(
dimensions:
  - &model_name "ModelName"
  - &level "Level"
  - &hostname "Hostname"
ts_metrics:
  counter:
    - name: Requests2XX
      unit: Count
      dimensions: [*level, *hostname]
    - name: ts_inference_requests_total
      unit: Count
      dimensions: ["model_name", "model_version", "hostname"]
  gauge:
    - name: QueueTime
      unit: Milliseconds
      dimensions: [*level, *hostname]
model_metrics:
  gauge:
    - name: HandlerTime
      unit: ms
      dimensions: [*model_name, *level]
)";

TEST(MetricsYaml, ReadsNamesAndUnitsAcrossSections) {
  auto defs = ParseMetricsYaml(kDefaultShape, "metrics.yaml");
  ASSERT_TRUE(defs.ok()) << defs.status().message();
  EXPECT_EQ(defs->units.size(), 4u);
  EXPECT_EQ(defs->units.at("QueueTime"), "Milliseconds");
  EXPECT_EQ(defs->units.at("HandlerTime"), "ms");
  EXPECT_EQ(defs->units.at("ts_inference_requests_total"), "Count");
}

TEST(MetricsYaml, ErrorsNameTheFileAndField) {
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    auto defs = ParseMetricsYaml(text, "metrics_config /etc/m.yaml");
    ASSERT_FALSE(defs.ok()) << text;
    EXPECT_NE(defs.status().message().find("metrics_config /etc/m.yaml: " + fragment), std::string::npos)
        << defs.status().message();
  };
  expect_error("ts_metrics:\n  gauge:\n    - unit: ms\n", "ts_metrics.gauge[0]: missing 'name'");
  expect_error("model_metrics:\n  counter:\n    - name: A\n      unit: Count\n    - name: B\n",
               "model_metrics.counter[1]: missing 'unit'");
  expect_error("ts_metrics:\n  summary: []\n", "ts_metrics.summary: unknown metric type");
  expect_error("ts_metric:\n  gauge: []\n", "ts_metric: unknown section");
  expect_error("ts_metrics:\n  gauge:\n    - name: A\n      unit: ms\n      dimensions: Level\n",
               "ts_metrics.gauge[0].dimensions: expected a list");
  expect_error("ts_metrics: [1, 2]\n", "ts_metrics: expected a mapping");
  expect_error("- just\n- a list\n", "expected a mapping");
  expect_error("ts_metrics: {gauge: [\n", "not valid YAML");
  EXPECT_FALSE(LoadMetricsYaml("/no/such/metrics.yaml").ok());
}

TEST(MetricsYaml, FiltersAndRenamesUnitsInTheServer) {
  core::Metrics metrics("h");
  metrics.SetDefinitions({{"Requests2XX", "Requests"}, {"HandlerTime", "Milliseconds"}});
  std::vector<std::string> model_lines;
  metrics.SetLogSinks({[](const std::string&) {}, [&](const std::string& l) { model_lines.push_back(l); }});
  metrics.CountResponse(200);
  core::BatchTimings t;
  t.handler_ms = 2;
  t.prediction_ms = 3;
  metrics.For("m", "1.0").RecordBatch(t);
  EXPECT_TRUE(metrics.Emits("Requests2XX"));
  EXPECT_FALSE(metrics.Emits("Requests4XX"));
  EXPECT_TRUE(metrics.Emits("hearth_batch_size"));
  const std::string text = metrics.RenderPrometheus(core::Metrics::Families::kAll, {});
  EXPECT_NE(text.find("with unit: Requests\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Requests4XX"), std::string::npos);
  EXPECT_EQ(text.find("QueueTime"), std::string::npos);
  EXPECT_EQ(text.find("ts_inference_requests_total"), std::string::npos);
  EXPECT_NE(text.find("hearth_handler_time_seconds_count"), std::string::npos);
  ASSERT_EQ(model_lines.size(), 1u);  // PredictionTime is not listed
  EXPECT_EQ(model_lines[0].rfind("HandlerTime.Milliseconds:2.0|#ModelName:m,", 0), 0u) << model_lines[0];
  auto log = metrics.RenderLogLines(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].rfind("Requests2XX.Requests:1.0|", 0), 0u) << log[0];
}

}  // namespace
}  // namespace hearth::config
