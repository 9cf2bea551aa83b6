#include "config/model_config.h"

#include <gtest/gtest.h>

namespace hearth::config {
namespace {

TEST(ModelYamlTest, FrontendKeys) {
  auto c = ParseModelYaml("minWorkers: 1\nmaxWorkers: 3\nbatchSize: 8\nmaxBatchDelay: 20\nresponseTimeout: 60\n"
                          "handler:\n  topk: 3\n",
                          "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c->min_workers, 1);
  EXPECT_EQ(*c->max_workers, 3);
  EXPECT_EQ(*c->batch_size, 8);
  EXPECT_EQ(*c->max_batch_delay_ms, 20);
  EXPECT_EQ(*c->response_timeout_s, 60);
  EXPECT_EQ(c->all["handler"]["topk"], 3);
}

TEST(ModelYamlTest, WrongTypeIsWarnedAndIgnored) {
  auto c = ParseModelYaml("batchSize: many\n", "m.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->batch_size.has_value());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("batchSize"), std::string::npos);
}

TEST(ModelYamlTest, BatchClosingDelayOrAdaptive) {
  auto c = ParseModelYaml("batchClosing: adaptive\n", "m.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->batch_closing, "adaptive");
  auto bad = ParseModelYaml("batchClosing: soon\n", "m.yaml");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->batch_closing);
  ASSERT_EQ(bad->warnings.size(), 1u);
  EXPECT_NE(bad->warnings[0].find("batchClosing"), std::string::npos);
}

TEST(ModelYamlTest, InvalidYamlNamesFile) {
  auto c = ParseModelYaml("a: [1, 2\n", "rn50.mar:model-config.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rn50.mar:model-config.yaml"), std::string::npos);
}

}  // namespace
}  // namespace hearth::config
