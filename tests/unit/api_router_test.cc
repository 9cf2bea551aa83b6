// ApiRouter's TorchServe routes over a real ModelManager with fake worker
// slots: status codes and bodies as clients see them, no sockets, no
// processes.
#include "frontend/http/api_router.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "manager_harness.h"

namespace hearth::frontend {
namespace {

namespace fs = std::filesystem;

class ApiRouterTest : public ::testing::Test {
 protected:
  ApiRouterTest() : metrics_("h"), policy_(metrics_), h_(&metrics_) {
    h_.WriteArchive("tiny", "tiny", "1.0");
    router_ = std::make_unique<ApiRouter>(h_.manager(), metrics_, policy_, h_.config, nullptr);
  }

  HttpResponse Call(unsigned roles, const std::string& method, const std::string& path,
                    std::vector<std::pair<std::string, std::string>> query = {}, std::string body = "",
                    std::string content_type = "") {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.target = path;
    req.query = std::move(query);
    req.body = std::move(body);
    if (!content_type.empty()) req.headers.emplace_back("content-type", content_type);
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    router_->Handle(roles, std::move(req), [promise](HttpResponse r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      HttpResponse timeout;
      timeout.status = -1;
      return timeout;
    }
    return future.get();
  }
  HttpResponse Manage(const std::string& method, const std::string& path,
                      std::vector<std::pair<std::string, std::string>> query = {}) {
    return Call(kManagementRole, method, path, std::move(query));
  }
  static Json Body(const HttpResponse& r) { return Json::parse(r.body); }

  core::Metrics metrics_;
  core::RequestPolicy policy_;
  core::testing::ManagerHarness h_;
  std::unique_ptr<ApiRouter> router_;
};

TEST_F(ApiRouterTest, PingAndUnknownRoutes) {
  HttpResponse ping = Call(kInferenceRole, "GET", "/ping");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(Body(ping), Json({{"status", "Healthy"}}));
  HttpResponse missing = Call(kInferenceRole, "GET", "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["type"], "ResourceNotFoundException");
  EXPECT_EQ(Call(kInferenceRole, "POST", "/predictions/nope").status, 404);
}

TEST_F(ApiRouterTest, RegisterDescribeScaleUnregister) {
  HttpResponse reg = Manage("POST", "/models", {{"url", "tiny"}, {"initial_workers", "1"}, {"synchronous", "true"}});
  ASSERT_EQ(reg.status, 200) << reg.body;
  EXPECT_EQ(Body(reg)["status"], "Model \"tiny\" Version: 1.0 registered with 1 initial workers");
  HttpResponse described = Manage("GET", "/models/tiny");
  ASSERT_EQ(described.status, 200);
  EXPECT_EQ(Body(described)[0]["modelName"], "tiny");
  EXPECT_EQ(Body(described)[0]["workers"].size(), 1u);
  EXPECT_EQ(Manage("POST", "/models").status, 400);  // no url
  EXPECT_EQ(Body(Manage("POST", "/models")).value("message", ""), "Parameter url is required.");
  HttpResponse negative = Manage("PUT", "/models/tiny", {{"min_worker", "-1"}});
  EXPECT_EQ(negative.status, 500);  // TorchServe's answer, for every transport (the core validates)
  HttpResponse scaled = Manage("PUT", "/models/tiny", {{"min_worker", "2"}, {"synchronous", "true"}});
  EXPECT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(Body(Manage("GET", "/models/tiny"))[0]["workers"].size(), 2u);
  HttpResponse gone = Manage("DELETE", "/models/tiny");
  EXPECT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(Manage("GET", "/models/tiny").status, 404);
}

TEST_F(ApiRouterTest, PredictionsReachTheWorkerAndDrainingRefusesThem) {
  ASSERT_EQ(Manage("POST", "/models", {{"url", "tiny"}, {"initial_workers", "1"}, {"synchronous", "true"}}).status, 200);
  auto pending = std::async(std::launch::async,
                            [&] { return Call(kInferenceRole, "POST", "/predictions/tiny", {}, "[1.0]", "application/json"); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (h_.factory.made.at(0)->PendingBatches() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  h_.factory.made[0]->Answer("answer:");
  HttpResponse answered = pending.get();
  EXPECT_EQ(answered.status, 200);
  EXPECT_EQ(answered.body.rfind("answer:", 0), 0u);
  EXPECT_EQ(metrics_.For("tiny", "default").requests.load(), 1);

  policy_.BeginDrain();
  HttpResponse refused = Call(kInferenceRole, "POST", "/predictions/tiny", {}, "[1.0]", "application/json");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(Body(refused)["message"], core::DrainingMessage());
  EXPECT_EQ(Call(kInferenceRole, "GET", "/ping").status, 500);  // unhealthy while draining
  EXPECT_EQ(metrics_.For("tiny", "default").requests.load(), 2);  // refused predictions count too
}

TEST_F(ApiRouterTest, ManagementRoutesAreNotOnTheInferenceListener) {
  EXPECT_EQ(Call(kInferenceRole, "GET", "/models").status, 404);
  EXPECT_EQ(Call(kManagementRole, "GET", "/models").status, 200);
}

}  // namespace
}  // namespace hearth::frontend
