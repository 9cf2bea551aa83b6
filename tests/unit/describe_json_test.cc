#include "frontend/common/describe_json.h"

#include <gtest/gtest.h>

namespace hearth::frontend {
namespace {

TEST(DescribeJsonTest, TorchServesFieldsInTorchServesOrder) {
  core::ModelDescription d;
  d.settings.name = "resnet";
  d.settings.version = "1.0";
  d.settings.url = "resnet.mar";
  d.settings.batch_size = 4;
  d.queue_remaining_capacity = 99;
  d.queue_pending = 1;
  core::WorkerSnapshot w;
  w.id = 9000;
  w.pid = 42;
  w.state = core::WorkerState::kBusy;
  w.cpu_list = {0, 1, 2};
  d.workers.push_back(w);
  Json j = DescribeJson(d);
  EXPECT_EQ(j["modelName"], "resnet");
  EXPECT_EQ(j["batchSize"], 4);
  EXPECT_EQ(j["workers"][0]["id"], "9000");      // a string, as TorchServe sends it
  EXPECT_EQ(j["workers"][0]["status"], "READY");  // busy shows as READY
  EXPECT_EQ(j["workers"][0]["cpus"], "0-2");
  EXPECT_EQ(j["jobQueueStatus"]["pendingRequests"], 1);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys.front(), "modelName");
  EXPECT_EQ(keys[keys.size() - 2], "workers");
  EXPECT_EQ(keys.back(), "jobQueueStatus");
  EXPECT_EQ(DescribeJson(std::vector<core::ModelDescription>{d, d}).size(), 2u);
}

}  // namespace
}  // namespace hearth::frontend
