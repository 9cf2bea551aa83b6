// ModelManager with fake worker slots that load by themselves: register,
// scale, versions, set-default, unregister, predict and snapshot, with real
// archive directories in a temporary model store and no processes.
#include "core/model_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "manager_harness.h"

namespace hearth::core {
namespace {

namespace fs = std::filesystem;

class ModelManagerTest : public ::testing::Test {
 protected:
  ModelManagerTest() {
    h_.WriteArchive("m_v1", "m", "1.0");
    h_.WriteArchive("m_v2", "m", "2.0");
  }

  // Runs an asynchronous management call and waits (bounded) for its reply.
  template <typename Call>
  StatusOr<ManagementReply> Wait(Call call) {
    auto promise = std::make_shared<std::promise<StatusOr<ManagementReply>>>();
    auto future = promise->get_future();
    call([promise](StatusOr<ManagementReply> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return Internal("no reply");
    return future.get();
  }

  StatusOr<ManagementReply> Register(const std::string& url, int workers) {
    RegisterParams p;
    p.url = url;
    p.initial_workers = workers;
    return Wait([&](ManagementCallback done) { manager_->Register(p, done); });
  }

  testing::ManagerHarness h_;
  ModelManager* manager_ = &h_.manager();
};

TEST_F(ModelManagerTest, RegisterScaleDescribeUnregister) {
  auto r = Register("m_v1", 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message, "Model \"m\" Version: 1.0 registered with 1 initial workers");
  auto d = manager_->Describe("m", "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].workers.size(), 1u);
  EXPECT_EQ((*d)[0].workers[0].id, 9000);

  ScaleParams two;
  two.min_worker = 2;
  two.synchronous = true;
  auto s = Wait([&](ManagementCallback done) { manager_->Scale("m", "", two, done); });
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->message, "Workers scaled to 2 for model: m");
  EXPECT_EQ((*manager_->Describe("m", ""))[0].workers.size(), 2u);

  ScaleParams negative;
  negative.min_worker = -1;
  auto bad = Wait([&](ManagementCallback done) { manager_->Scale("m", "", negative, done); });
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);  // TorchServe: 500, gRPC INTERNAL
  ScaleParams inverted;
  inverted.min_worker = 3;
  inverted.max_worker = 2;
  EXPECT_EQ(Wait([&](ManagementCallback done) { manager_->Scale("m", "", inverted, done); }).status().message(),
            "max_worker cannot be less than min_worker.");

  auto u = Wait([&](ManagementCallback done) { manager_->Unregister("m", "", done); });
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->message, "Model \"m\" unregistered");
  EXPECT_EQ(manager_->Describe("m", "").status().code(), StatusCode::kNotFound);
  for (auto& w : h_.factory.made) EXPECT_TRUE(w->retired);
}

TEST_F(ModelManagerTest, VersionsAndTheDefault) {
  ASSERT_TRUE(Register("m_v1", 0).ok());
  ASSERT_TRUE(Register("m_v2", 0).ok());
  EXPECT_EQ(Register("m_v2", 0).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*manager_->Describe("m", ""))[0].settings.version, "1.0");  // the first registered
  EXPECT_EQ(manager_->Describe("m", "all")->size(), 2u);
  EXPECT_EQ(manager_->Describe("m", "3.0").status().code(), StatusCode::kVersionNotFound);
  ASSERT_TRUE(manager_->SetDefault("m", "2.0").ok());
  EXPECT_EQ((*manager_->Describe("m", ""))[0].settings.version, "2.0");
  auto refused = Wait([&](ManagementCallback done) { manager_->Unregister("m", "2.0", done); });
  EXPECT_EQ(refused.status().message(), "Cannot remove default version for model m");
  EXPECT_TRUE(Wait([&](ManagementCallback done) { manager_->Unregister("m", "1.0", done); }).ok());
  EXPECT_EQ(manager_->Describe("m", "all")->size(), 1u);
}

TEST_F(ModelManagerTest, PredictReachesAWorkerAndUnknownModelsAre404) {
  ASSERT_TRUE(Register("m_v1", 1).ok());
  std::promise<InferenceResponse> answered;
  InferenceRequest request;
  request.request_id = "r1";
  manager_->Predict("m", "", request, [&](InferenceResponse r) { answered.set_value(std::move(r)); });
  ASSERT_EQ(h_.factory.made.size(), 1u);
  // The registration answered once the worker loaded; it reports itself idle right after, on the
  // registering thread, and takes the queued request then.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (h_.factory.made[0]->PendingBatches() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(h_.factory.made[0]->PendingBatches(), 1u);
  h_.factory.made[0]->Answer("y:");
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().body, "y:r1");

  std::promise<InferenceResponse> missing;
  manager_->Predict("nope", "", request, [&](InferenceResponse r) { missing.set_value(std::move(r)); });
  EXPECT_EQ(missing.get_future().get().status.code(), StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, SnapshotNamesEveryVersionWithItsSettings) {
  ASSERT_TRUE(Register("m_v1", 1).ok());
  ASSERT_TRUE(Register("m_v2", 0).ok());
  Json snapshot = manager_->ExportSnapshot();
  ASSERT_TRUE(snapshot["m"].contains("1.0")) << snapshot.dump();
  EXPECT_EQ(snapshot["m"]["1.0"]["defaultVersion"], true);
  EXPECT_EQ(snapshot["m"]["1.0"]["marName"], "m_v1");
  EXPECT_EQ(snapshot["m"]["1.0"]["minWorkers"], 1);
  EXPECT_EQ(snapshot["m"]["2.0"]["defaultVersion"], false);
  EXPECT_TRUE(manager_->CheckSnapshot(Json{{"models", snapshot}}).ok());
  h_.RemoveArchive("m_v2");
  EXPECT_EQ(manager_->CheckSnapshot(Json{{"models", snapshot}}).message(),
            "Model archive file for model :m, version :2.0 not found in model store");
}

}  // namespace
}  // namespace hearth::core
