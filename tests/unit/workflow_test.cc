// The pure parts of workflows: the spec, the DAG's checks, the .war
// manifest, and one request through a DAG with fake nodes and FakeTimers.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <vector>

#include "archive/war_manifest.h"
#include "common/json.h"
#include "common/timers.h"
#include "workflow/dag.h"
#include "workflow/dag_run.h"
#include "workflow/spec.h"

namespace hearth::workflow {
namespace {

TEST(WorkflowSpecTest, DefaultsApplyToEveryModelWhereverWrittenAndModelsOverride) {
  auto spec = ParseWorkflowSpec(R"(
models:
  cat_dog:
    url: cat_dog.mar
    batch-size: 8
  min-workers: 2
  max-workers: 3
  batch-size: 4
  retry-attempts: 5
  breed:
    url: breed.mar
dag:
  pre: [cat_dog, breed]
  cat_dog: [breed]
)",
                                "wf.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_EQ(spec->models.size(), 2u);
  EXPECT_EQ(spec->models[0].name, "cat_dog");
  EXPECT_EQ(spec->models[0].url, "cat_dog.mar");
  EXPECT_EQ(spec->models[0].settings.batch_size, 8);
  EXPECT_EQ(spec->models[0].settings.max_workers, 3);  // a default written after the model still applies
  EXPECT_EQ(spec->models[1].settings.batch_size, 4);
  EXPECT_EQ(spec->models[1].settings.retry_attempts, 5);
  EXPECT_EQ(spec->models[1].settings.timeout_ms, 10000);  // TorchServe's default
  EXPECT_EQ(spec->defaults.min_workers, 2);
  EXPECT_EQ(spec->dag_text, "{pre=[cat_dog, breed], cat_dog=[breed]}");
  ASSERT_EQ(spec->dag.size(), 2u);
  EXPECT_EQ(spec->dag[0].children, (std::vector<std::string>{"cat_dog", "breed"}));
}

TEST(WorkflowSpecTest, MalformedSpecsNameTheField) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"dag:\n  a: [b]\n", "wf.yaml: models: is missing"},
      {"models: {}\n", "wf.yaml: dag: is missing"},
      {"models: {}\ndag: [a, b]\n", "wf.yaml: dag: must be a mapping"},
      {"models:\n  batch-size: x\ndag:\n  a: [b]\n", "wf.yaml: models.batch-size must be a whole number >= 1, got \"x\""},
      {"models:\n  timeout-ms: 0\ndag:\n  a: [b]\n", "wf.yaml: models.timeout-ms must be a whole number >= 1, got \"0\""},
      {"models:\n  m: m.mar\ndag:\n  a: [m]\n", "wf.yaml: models.m must be a mapping with url:"},
      {"models:\n  m:\n    batch-size: 2\ndag:\n  a: [m]\n", "wf.yaml: models.m.url is missing"},
      {"models:\n  m:\n    url: m.mar\n    min-workers: 3\ndag:\n  a: [m]\n", "min-workers (3) is more than max-workers (1)"},
      {"models: {}\ndag:\n  a: b\n", "wf.yaml: dag.a must be a list of node names"},
      {"models: {\n", "wf.yaml: not valid YAML"},
  };
  for (const Case& c : cases) {
    auto spec = ParseWorkflowSpec(c.yaml, "wf.yaml");
    ASSERT_FALSE(spec.ok()) << c.yaml;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos) << spec.status().message();
  }
}

TEST(WorkflowSpecTest, ALeafWithoutItsOwnKeyAndBlankChildren) {
  auto spec = ParseWorkflowSpec("models: {}\ndag:\n  a: [b, '', c]\n  b:\n", "wf.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->dag[0].children, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(spec->dag[1].children.empty());
}

StatusOr<Dag> BuildDag(std::vector<DagEntry> entries) { return Dag::Build(entries); }

TEST(DagTest, OrderParentsChildrenLeaves) {
  auto dag = BuildDag({{"pre", {"cat_dog", "breed"}}, {"cat_dog", {"breed"}}});
  ASSERT_TRUE(dag.ok()) << dag.status().message();
  EXPECT_EQ(dag->Root(), "pre");
  EXPECT_EQ(dag->TopologicalOrder(), (std::vector<std::string>{"pre", "cat_dog", "breed"}));
  EXPECT_EQ(dag->Leaves(), (std::vector<std::string>{"breed"}));
  EXPECT_EQ(dag->Parents("breed"), (std::vector<std::string>{"pre", "cat_dog"}));
  EXPECT_EQ(dag->Children("pre"), (std::vector<std::string>{"cat_dog", "breed"}));
  EXPECT_TRUE(dag->Parents("nope").empty());
  EXPECT_TRUE(dag->Contains("breed"));
  EXPECT_FALSE(dag->Contains("nope"));
}

TEST(DagTest, RefusesWhatTorchServeRefusesAndNamesTheNodes) {
  struct Case {
    std::vector<DagEntry> entries;
    const char* message;
  };
  const Case cases[] = {
      {{{"a", {"a"}}}, "Self loop exception: node a lists itself"},
      {{{"a", {"b", "b"}}}, "loop exception: the edge a -> b is listed twice"},
      {{{"a", {"c"}}, {"b", {"c"}}}, "DAG should have only one start node; found 2: a, b"},
      {{{"a", {"b"}}, {"b", {"a"}}}, "DAG should have only one start node; found 0"},
      {{{"pre", {"a"}}, {"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}}, "Not a valid DAG: a cycle through a, b, c"},
  };
  for (const Case& c : cases) {
    auto dag = BuildDag(c.entries);
    ASSERT_FALSE(dag.ok()) << c.message;
    EXPECT_EQ(dag.status().message().rfind(c.message, 0), 0u) << dag.status().message();
  }
}

TEST(WarManifestTest, RoundTripInTorchWorkflowArchiversLayout) {
  archive::WarManifest m;
  m.has_workflow = true;
  m.created_on = "17/03/2025 11:20:57";
  m.workflow_name = "dog_breed_wf";
  m.spec_file = "wf.yaml";
  m.handler = "wf_handler.py";
  m.archiver_version = "0.2.15";
  const std::string text = archive::SerializeWarManifest(m);
  EXPECT_EQ(text,
            "{\n  \"createdOn\": \"17/03/2025 11:20:57\",\n  \"workflow\": {\n    \"workflowName\": \"dog_breed_wf\",\n"
            "    \"specFile\": \"wf.yaml\",\n    \"handler\": \"wf_handler.py\"\n  },\n  \"archiverVersion\": \"0.2.15\"\n}");
  auto back = archive::ParseWarManifest(text, "x.war");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->workflow_name, "dog_breed_wf");
  EXPECT_TRUE(archive::ValidateWarManifest(*back, "x.war").ok());
}

TEST(WarManifestTest, ChecksInTorchServesOrder) {
  auto check = [](const std::string& text) {
    auto m = archive::ParseWarManifest(text, "x.war");
    return m.ok() ? archive::ValidateWarManifest(*m, "x.war").message() : m.status().message();
  };
  EXPECT_EQ(check("{}"), "x.war: WAR-INF/MANIFEST.json: Missing Workflow entry in manifest file.");
  EXPECT_EQ(check(R"({"workflow": {}})"), "x.war: WAR-INF/MANIFEST.json: Workflow name is not defined.");
  EXPECT_EQ(check(R"({"workflow": {"workflowName": "w"}})"),
            "x.war: WAR-INF/MANIFEST.json: Workflow archive version is not defined.");
  EXPECT_EQ(check(R"({"workflow": {"workflowName": "w"}, "archiverVersion": "1"})"),
            "x.war: WAR-INF/MANIFEST.json: Workflow archive createdOn is not defined.");
  EXPECT_EQ(check(R"({"workflow": {"workflowName": 3}})"),
            "x.war: WAR-INF/MANIFEST.json: \"workflowName\" must be a string");
  EXPECT_NE(check("not json").find("is not valid JSON"), std::string::npos);
}

// Nodes answer when the test says so; calls are recorded.
class FakeNodes {
 public:
  struct Call {
    std::string node;
    core::InferenceRequest request;
    core::ResponseCallback done;
  };
  NodeCaller Caller() {
    return [this](const std::string& node, core::InferenceRequest request, core::ResponseCallback done) {
      std::lock_guard lock(mu_);
      calls_.push_back({node, std::move(request), std::move(done)});
    };
  }
  // Answers the oldest unanswered call of `node`; returns its request.
  core::InferenceRequest Answer(const std::string& node, const std::string& body) {
    return Reply(node, [&](core::InferenceResponse& r) { r.body = body; });
  }
  core::InferenceRequest Fail(const std::string& node, const std::string& why) {
    return Reply(node, [&](core::InferenceResponse& r) { r.status = Unavailable(why); });
  }
  std::vector<std::string> Pending() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const Call& c : calls_) out.push_back(c.node);
    return out;
  }

 private:
  core::InferenceRequest Reply(const std::string& node, const std::function<void(core::InferenceResponse&)>& fill) {
    Call call;
    {
      std::lock_guard lock(mu_);
      auto it = std::find_if(calls_.begin(), calls_.end(), [&](const Call& c) { return c.node == node; });
      EXPECT_NE(it, calls_.end()) << "no call of " << node;
      if (it == calls_.end()) return {};
      call = std::move(*it);
      calls_.erase(it);
    }
    core::InferenceResponse r;
    fill(r);
    call.done(std::move(r));
    return std::move(call.request);
  }
  std::mutex mu_;
  std::vector<Call> calls_;
};

class DagRunTest : public ::testing::Test {
 protected:
  void Run(std::vector<DagEntry> entries, std::map<std::string, NodeCallPolicy> policies = {}) {
    auto dag = Dag::Build(entries);
    ASSERT_TRUE(dag.ok()) << dag.status().message();
    DagRunOptions options;
    options.dag = std::make_shared<const Dag>(std::move(*dag));
    options.policies = std::move(policies);
    options.call = nodes_.Caller();
    options.timers = &timers_;
    core::InferenceRequest request;
    request.request_id = "client-id";
    request.inputs.push_back({"body", "image/jpeg", "JPEG"});
    request.headers.emplace_back("x-trace", "t1");
    RunDag(options, std::move(request), [this](core::InferenceResponse r) {
      ++answers_;
      answer_ = std::move(r);
    });
  }

  FakeTimers timers_;
  FakeNodes nodes_;
  int answers_ = 0;
  core::InferenceResponse answer_;
};

TEST_F(DagRunTest, FanOutFanInAndTheSingleLeafsAnswerVerbatim) {
  Run({{"pre", {"cat_dog", "breed"}}, {"cat_dog", {"breed"}}});
  EXPECT_EQ(nodes_.Pending(), (std::vector<std::string>{"pre"}));
  core::InferenceRequest pre = nodes_.Answer("pre", "b64");
  // The start node gets the request's inputs and headers, under a fresh id.
  ASSERT_EQ(pre.inputs.size(), 1u);
  EXPECT_EQ(pre.inputs[0].name, "body");
  EXPECT_EQ(pre.inputs[0].content_type, "image/jpeg");
  EXPECT_EQ(pre.inputs[0].value, "JPEG");
  EXPECT_NE(pre.request_id, "client-id");
  EXPECT_EQ(pre.headers, (core::Headers{{"x-trace", "t1"}}));
  // breed waits for both parents.
  EXPECT_EQ(nodes_.Pending(), (std::vector<std::string>{"cat_dog"}));
  core::InferenceRequest cat_dog = nodes_.Answer("cat_dog", "dog");
  ASSERT_EQ(cat_dog.inputs.size(), 1u);
  EXPECT_EQ(cat_dog.inputs[0].name, "body");  // one parent: "body", no content type
  EXPECT_EQ(cat_dog.inputs[0].content_type, "");
  EXPECT_EQ(cat_dog.inputs[0].value, "b64");
  EXPECT_EQ(answers_, 0);
  core::InferenceRequest breed = nodes_.Answer("breed", "{\"Kuvasz\": 0.9}");
  ASSERT_EQ(breed.inputs.size(), 2u);  // several parents: named after them
  EXPECT_EQ(breed.inputs[0].name, "pre");
  EXPECT_EQ(breed.inputs[1].name, "cat_dog");
  EXPECT_EQ(breed.inputs[1].value, "dog");
  ASSERT_EQ(answers_, 1);
  EXPECT_TRUE(answer_.status.ok());
  EXPECT_EQ(answer_.body, "{\"Kuvasz\": 0.9}");
  EXPECT_EQ(answer_.content_type, "application/json");
  EXPECT_EQ(timers_.Pending(), 0u);  // every node's timeout was cancelled
}

TEST_F(DagRunTest, SeveralLeavesAnswerOneObjectKeyedByLeaf) {
  Run({{"pre", {"resnet", "squeezenet"}}});
  nodes_.Answer("pre", "x");
  nodes_.Answer("squeezenet", "{\"cat\": 0.5}");
  EXPECT_EQ(answers_, 0);
  nodes_.Answer("resnet", "not json");
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(Json::parse(answer_.body), Json::parse(R"({"resnet": "not json", "squeezenet": {"cat": 0.5}})"));
}

TEST_F(DagRunTest, AFailedNodeIsRetriedThenNamed) {
  Run({{"pre", {"m"}}}, {{"m", NodeCallPolicy{2, 1000}}});
  nodes_.Answer("pre", "x");
  nodes_.Fail("m", "Prediction failed: ValueError: one");
  nodes_.Fail("m", "Prediction failed: ValueError: two");
  EXPECT_EQ(answers_, 0);
  core::InferenceRequest third = nodes_.Fail("m", "Prediction failed: ValueError: three");
  EXPECT_EQ(third.inputs[0].value, "x");  // every attempt gets the same inputs
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_.status.code(), StatusCode::kInternal);
  EXPECT_EQ(answer_.status.message(), "Error executing m: Prediction failed: ValueError: three");
  EXPECT_TRUE(nodes_.Pending().empty());
}

TEST_F(DagRunTest, ATimedOutCallIsRetriedAndItsLateAnswerIgnored) {
  Run({{"pre", {"m"}}}, {{"m", NodeCallPolicy{1, 500}}});
  nodes_.Answer("pre", "x");
  timers_.Advance(std::chrono::milliseconds(499));
  EXPECT_EQ(nodes_.Pending(), (std::vector<std::string>{"m"}));
  timers_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(nodes_.Pending(), (std::vector<std::string>{"m", "m"}));  // the retry
  nodes_.Answer("m", "late answer of the first call");
  EXPECT_EQ(answers_, 0);
  nodes_.Answer("m", "second call");
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_.body, "second call");
}

TEST_F(DagRunTest, TheLastTimeoutFailsTheRequestOnce) {
  Run({{"pre", {"m"}}}, {{"m", NodeCallPolicy{0, 100}}});
  nodes_.Answer("pre", "x");
  timers_.Advance(std::chrono::milliseconds(100));
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_.status.message(), "Error executing m: no answer within timeout-ms 100");
  nodes_.Answer("m", "too late");
  EXPECT_EQ(answers_, 1);
}

}  // namespace
}  // namespace hearth::workflow
