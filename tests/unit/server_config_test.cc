#include "config/server_config.h"

#include <gtest/gtest.h>

namespace hearth::config {
namespace {

StatusOr<ServerConfig> Build(std::map<std::string, std::string> props, CliOptions cli = {}, Environment env = {}) {
  return BuildServerConfig(props, "config.properties", cli, env);
}

TEST(ServerConfigTest, DefaultsMatchTorchServe) {
  auto c = Build({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->inference_address.ToString(), "http://127.0.0.1:8080");
  EXPECT_EQ(c->management_address.ToString(), "http://127.0.0.1:8081");
  EXPECT_EQ(c->metrics_address.ToString(), "http://127.0.0.1:8082");
  EXPECT_EQ(c->job_queue_size, 100);
  EXPECT_EQ(c->max_request_size, 6553500);
  EXPECT_EQ(c->default_response_timeout_s, 120);
  EXPECT_FALSE(c->enable_model_api);
  EXPECT_EQ(c->metrics_mode, "log");
}

TEST(ServerConfigTest, AddressDefaultPorts) {
  auto a = ParseListenAddress("https://0.0.0.0", 8081, 8444);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 8444);
  EXPECT_TRUE(a->tls());
  auto b = ParseListenAddress("http://localhost", 8082, 8445);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 8082);
  auto u = ParseListenAddress("unix:/tmp/x.sock", 1, 2);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->unix_path, "/tmp/x.sock");
  EXPECT_FALSE(ParseListenAddress("ftp://x", 1, 2).ok());
}

TEST(ServerConfigTest, MalformedIntegerNamesKeyAndFile) {
  auto c = Build({{"job_queue_size", "lots"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("config.properties"), std::string::npos);
  EXPECT_NE(c.status().message().find("job_queue_size"), std::string::npos);
  EXPECT_NE(c.status().message().find("lots"), std::string::npos);
}

TEST(ServerConfigTest, BatchClosingIsDelayOrAdaptive) {
  ASSERT_TRUE(Build({}).ok());
  EXPECT_EQ(Build({})->batch_closing, "delay");
  EXPECT_EQ(Build({{"batch_closing", "adaptive"}})->batch_closing, "adaptive");
  auto bad = Build({{"batch_closing", "eager"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("batch_closing"), std::string::npos);
  EXPECT_NE(bad.status().message().find("eager"), std::string::npos);
}

TEST(ServerConfigTest, IoSpinIsMicrosecondsUpToOneSecond) {
  EXPECT_EQ(Build({})->io_spin_us, 0);
  EXPECT_EQ(Build({{"hearth_io_spin_us", "50"}})->io_spin_us, 50);
  for (const char* bad : {"-1", "2000000", "fast"}) {
    auto c = Build({{"hearth_io_spin_us", bad}});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("hearth_io_spin_us"), std::string::npos) << bad;
  }
}

TEST(ServerConfigTest, BadAddressIsAnError) {
  auto c = Build({{"inference_address", "localhost:8080"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("inference_address"), std::string::npos);
}

TEST(ServerConfigTest, UnknownKeyWarns) {
  auto c = Build({{"no_such_key", "1"}, {"vmargs", "-Xmx4g"}});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 2u);
}

TEST(ServerConfigTest, CliOverridesFile) {
  CliOptions cli;
  cli.model_store = "/cli/store";
  cli.models = {"a=a.mar", "b.mar"};
  cli.enable_model_api = true;
  auto c = Build({{"model_store", "/file/store"}, {"load_models", "x.mar"}}, cli);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model_store, "/cli/store");
  EXPECT_EQ(c->load_models, "a=a.mar,b.mar");
  EXPECT_TRUE(c->enable_model_api);
}

TEST(ServerConfigTest, EnvVarsOnlyWhenEnabled) {
  Environment env = {{"TS_JOB_QUEUE_SIZE", "7"}, {"TS_MODELS", "{}"}};
  auto off = Build({{"job_queue_size", "5"}}, {}, env);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->job_queue_size, 5);
  auto on = Build({{"job_queue_size", "5"}, {"enable_envvars_config", "true"}}, {}, env);
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->job_queue_size, 7);
}

TEST(ServerConfigTest, EnvVarWinsOverCliWhenEnabled) {
  CliOptions cli;
  cli.model_store = "/cli";
  auto c = Build({{"enable_envvars_config", "true"}}, cli, {{"TS_MODEL_STORE", "/env"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model_store, "/env");
}

TEST(ServerConfigTest, DollarSubstitution) {
  auto c = Build({{"model_store", "$$STORE$$/models"}}, {}, {{"STORE", "/data"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model_store, "/data/models");
  auto bad = Build({{"model_store", "$$NOPE$$"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Invalid Environment Variable NOPE"), std::string::npos);
}

TEST(ServerConfigTest, ModelsJsonParsedAndValidated) {
  auto c = Build({{"models", R"({"noop": {"1.0": {"minWorkers": 2}}})"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->models["noop"]["1.0"]["minWorkers"], 2);
  auto bad = Build({{"models", "{not json"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("models"), std::string::npos);
}

TEST(ServerConfigTest, AcceptsLaterFeatureKeys) {
  auto c = Build({{"ipex_enable", "TRUE"}, {"cpu_launcher_enable", "true"},
                  {"cpu_launcher_args", "--use_logical_core --disable_numactl"},
                  {"disable_token_authorization", "true"}});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->ipex_enable);
  EXPECT_TRUE(c->cpu_launcher_enable);
  EXPECT_EQ(c->cpu_launcher_args, "--use_logical_core --disable_numactl");
  EXPECT_TRUE(c->warnings.empty());
}

TEST(CliTest, TorchServeFlags) {
  const char* argv[] = {"hearth", "--start", "--ncs", "--model-store", "ms", "--ts-config", "c.properties",
                        "--models", "a=a.mar", "b.mar", "--dt", "--log-config", "log4j.xml"};
  auto cli = ParseCli(13, argv);
  ASSERT_TRUE(cli.ok()) << cli.status().ToString();
  EXPECT_EQ(cli->action, CliAction::kStart);
  EXPECT_TRUE(cli->no_config_snapshots);
  EXPECT_EQ(*cli->model_store, "ms");
  EXPECT_EQ(cli->models.size(), 2u);
  EXPECT_TRUE(cli->disable_token_auth);
  ASSERT_EQ(cli->ignored_flags.size(), 1u);
}

TEST(CliTest, StartAndStopExclusive) {
  const char* argv[] = {"hearth", "--start", "--stop"};
  EXPECT_FALSE(ParseCli(3, argv).ok());
}

}  // namespace
}  // namespace hearth::config
