#include "common/status.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(StatusTest, MapsCodesToTorchServeErrors) {
  EXPECT_EQ(PresentStatus(StatusCode::kNotFound).http_status, 404);
  EXPECT_STREQ(PresentStatus(StatusCode::kNotFound).type_name, "ModelNotFoundException");
  EXPECT_EQ(PresentStatus(StatusCode::kUnavailable).http_status, 503);
  EXPECT_EQ(PresentStatus(StatusCode::kResourceExhausted).http_status, 507);
}

TEST(StatusTest, PrefixKeepsCode) {
  Status s = InvalidArgument("bad").WithPrefix("model \"x\"");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model \"x\": bad");
}

}  // namespace
}  // namespace hearth
