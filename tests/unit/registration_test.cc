// PlanRegistration: TorchServe's precedence rules for a new model version's
// settings, without an archive on disk.
#include "core/registration.h"

#include <gtest/gtest.h>

namespace hearth::core {
namespace {

class PlanRegistrationTest : public ::testing::Test {
 protected:
  PlanRegistrationTest() {
    archive_.url = "resnet-18.mar";
    archive_.opened.model_dir = "/nonexistent/model";
    archive::Manifest m;
    m.model_name = "resnet";
    m.model_version = "2.0";
    m.handler = "image_classifier";
    m.serialized_file = "model.pt";
    archive_.opened.manifest = m;
    config_.default_response_timeout_s = 120;
    config_.default_startup_timeout_s = 120;
    config_.job_queue_size = 100;
  }

  RegistrationPlan Plan(bool at_startup = false) {
    RegistrationInputs in{params_, archive_.url, archive_, yaml_, models_json_, at_startup, config_, 4, &server_env_};
    auto plan = PlanRegistration(in);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    return plan.ok() ? *plan : RegistrationPlan{};
  }

  RegisterParams params_;
  ArchiveForRegistration archive_;
  config::ModelYamlConfig yaml_;
  Json models_json_ = Json::object();
  config::ServerConfig config_;
  std::vector<std::string> server_env_{"PATH=/usr/bin"};
};

TEST_F(PlanRegistrationTest, NamesComeFromTheParamsThenTheManifestThenTheFile) {
  EXPECT_EQ(Plan().settings.name, "resnet");
  params_.model_name = "chosen";
  EXPECT_EQ(Plan().settings.name, "chosen");
  params_.model_name.clear();
  archive_.opened.manifest->model_name.clear();
  EXPECT_EQ(Plan().settings.name, "resnet_18");  // file stem, non-word characters -> '_'
  EXPECT_EQ(Plan().settings.version, "2.0");
  archive_.opened.manifest.reset();  // no manifest at all
  const RegistrationPlan bare = Plan();
  EXPECT_EQ(bare.settings.version, "1.0");
  EXPECT_EQ(bare.settings.handler, config_.default_service_handler);
}

TEST_F(PlanRegistrationTest, BatchingParamsBeatYamlWhichBeatsModelsJson) {
  models_json_ = Json::parse(R"({"resnet": {"2.0": {"batchSize": 8, "maxBatchDelay": 70}}})");
  EXPECT_EQ(Plan(/*at_startup=*/true).settings.batch_size, 8);
  EXPECT_EQ(Plan(true).settings.max_batch_delay_ms, 70);
  yaml_.batch_size = 4;
  EXPECT_EQ(Plan(true).settings.batch_size, 4);
  params_.batch_size = 2;
  EXPECT_EQ(Plan(true).settings.batch_size, 2);
  EXPECT_EQ(Plan().settings.max_batch_delay_ms, 100);  // not at startup: no models JSON, the default
}

TEST_F(PlanRegistrationTest, BatchClosingFromYamlBeatsConfig) {
  EXPECT_EQ(Plan().settings.batch_closing, BatchClosing::kAfterDelay);  // TorchServe's by default
  config_.batch_closing = "adaptive";
  EXPECT_EQ(Plan().settings.batch_closing, BatchClosing::kWhenIdle);
  yaml_.batch_closing = "delay";
  EXPECT_EQ(Plan().settings.batch_closing, BatchClosing::kAfterDelay);
}

TEST_F(PlanRegistrationTest, TimeoutsFromYamlBeatEverything) {
  params_.response_timeout_s = 30;
  EXPECT_EQ(Plan().settings.response_timeout_s, 30);
  yaml_.response_timeout_s = 300;
  EXPECT_EQ(Plan().settings.response_timeout_s, 300);
}

TEST_F(PlanRegistrationTest, WorkerCounts) {
  EXPECT_EQ(Plan().min_workers, 0);  // default_workers_per_model unset: none at a plain registration
  params_.initial_workers = 3;
  EXPECT_EQ(Plan().min_workers, 3);
  EXPECT_EQ(Plan().max_workers, 3);
  yaml_.min_workers = 2;
  yaml_.max_workers = 5;
  EXPECT_EQ(Plan().min_workers, 2);
  EXPECT_EQ(Plan().max_workers, 5);
  yaml_.max_workers = 1;  // max < min: the yaml pair is ignored
  EXPECT_EQ(Plan().min_workers, 3);
  params_.initial_workers.reset();
  EXPECT_EQ(Plan(/*at_startup=*/true).min_workers, 4);  // startup default: every available CPU
  params_.min_workers = 1;  // a snapshot wins
  params_.max_workers = 6;
  EXPECT_EQ(Plan(true).min_workers, 1);
  EXPECT_EQ(Plan(true).max_workers, 6);
}

TEST_F(PlanRegistrationTest, WorkerProgramAndManifestForPythonHandlers) {
  EXPECT_EQ(Plan().settings.worker_runtime, archive::WorkerRuntime::kNative);
  archive_.opened.manifest->model_file = "model.py";
  const RegistrationPlan eager = Plan();
  EXPECT_EQ(eager.settings.worker_runtime, archive::WorkerRuntime::kPython);
  EXPECT_EQ(eager.runtime_reason, "eager model (modelFile model.py)");
  params_.model_name = "renamed";
  const Json manifest = Json::parse(Plan().settings.manifest_json);
  EXPECT_EQ(manifest["model"]["modelName"], "renamed");  // what context.manifest shows the handler
  EXPECT_EQ(manifest["model"]["modelFile"], "model.py");
}

TEST_F(PlanRegistrationTest, InvalidNamesAreRefused) {
  params_.model_name = "bad name!";
  RegistrationInputs in{params_, archive_.url, archive_, yaml_, models_json_, false, config_, 4};
  auto plan = PlanRegistration(in);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("Model name contains special characters"), std::string::npos);
}

TEST_F(PlanRegistrationTest, AModelsOwnThreadsComeFromItsEnvvarsThenTheServersEnvironment) {
  EXPECT_EQ(Plan().settings.own_threads, 0);  // none: the server's budget
  server_env_.push_back("MKL_NUM_THREADS=2");
  EXPECT_EQ(Plan().settings.own_threads, 2);
  EXPECT_EQ(Plan().settings.own_threads_from, "MKL_NUM_THREADS=2 from the server's environment");
  server_env_.push_back("OMP_NUM_THREADS=3");
  EXPECT_EQ(Plan().settings.own_threads, 3);  // OMP_NUM_THREADS first
  yaml_.all = Json::parse(R"({"envvars": {"OMP_NUM_THREADS": 4, "MY_FLAG": "on"}})");
  const RegistrationPlan plan = Plan();
  EXPECT_EQ(plan.settings.own_threads, 4);  // the model's YAML wins over the server's environment
  EXPECT_EQ(plan.settings.own_threads_from, "OMP_NUM_THREADS=4 from model-config.yaml envvars");
  EXPECT_EQ(plan.settings.env, (std::vector<std::string>{"OMP_NUM_THREADS=4", "MY_FLAG=on"}));
}

TEST_F(PlanRegistrationTest, IpexDtypeFromConfigPropertiesUnlessTheModelHasItsOwn) {
  EXPECT_FALSE(Plan().settings.yaml.contains("ipex_dtype"));
  config_.properties["ipex_dtype"] = "bfloat16";
  EXPECT_EQ(Plan().settings.yaml["ipex_dtype"], "bfloat16");
  yaml_.all = Json::parse(R"({"ipex_dtype": "float32"})");
  EXPECT_EQ(Plan().settings.yaml["ipex_dtype"], "float32");
}

TEST_F(PlanRegistrationTest, BadEnvvarsNameTheFileAndField) {
  auto refused = [this](const char* yaml_json) {
    yaml_.all = Json::parse(yaml_json);
    RegistrationInputs in{params_, archive_.url, archive_, yaml_, models_json_, false, config_, 4, &server_env_};
    auto plan = PlanRegistration(in);
    return plan.ok() ? std::string("accepted") : plan.status().message();
  };
  EXPECT_EQ(refused(R"({"envvars": ["OMP_NUM_THREADS=2"]})"),
            "resnet-18.mar: model-config.yaml: envvars must be a mapping of NAME: value");
  EXPECT_EQ(refused(R"({"envvars": {"A": {"b": 1}}})"), "resnet-18.mar: model-config.yaml: envvars.A must be a plain value");
  EXPECT_EQ(refused(R"({"envvars": {"OMP_NUM_THREADS": "many"}})"),
            "resnet-18.mar: OMP_NUM_THREADS=many from model-config.yaml envvars must be a whole number >= 1");
}

}  // namespace
}  // namespace hearth::core
