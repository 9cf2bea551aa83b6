#include "core/request_policy.h"

#include <gtest/gtest.h>

namespace hearth::core {
namespace {

TEST(RequestPolicyTest, CountsEveryPredictionAndRefusesWhileDraining) {
  Metrics metrics("h");
  RequestPolicy policy(metrics);
  EXPECT_TRUE(policy.Admit("m", "").ok());
  EXPECT_FALSE(policy.Draining());
  policy.BeginDrain();
  Status refused = policy.Admit("m", "2.0");
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), DrainingMessage());
  EXPECT_TRUE(policy.Draining());
  // Refused requests count too (TorchServe counts before queueing).
  EXPECT_EQ(metrics.For("m", "default").requests.load(), 1);
  EXPECT_EQ(metrics.For("m", "2.0").requests.load(), 1);
}

TEST(RequestPolicyTest, OnlyAnsweredPredictionsAddLatency) {
  Metrics metrics("h");
  RequestPolicy policy(metrics);
  InferenceResponse ok;
  ok.queue_time_us = 10;
  ok.inference_time_us = 90;
  policy.RecordAnswer("m", "", ok);
  InferenceResponse failed;
  failed.status = Internal("Worker died.");
  failed.inference_time_us = 1000;
  policy.RecordAnswer("m", "", failed);
  EXPECT_EQ(metrics.For("m", "default").inference_us.load(), 100);
  EXPECT_EQ(metrics.For("m", "default").queue_us.load(), 10);
}

TEST(RequestPolicyTest, GrpcCodesMapBackThroughTheOneTable) {
  EXPECT_EQ(HttpStatusForGrpcCode(0), 200);
  EXPECT_EQ(HttpStatusForGrpcCode(PresentStatus(StatusCode::kNotFound).grpc_code), 404);
  EXPECT_EQ(HttpStatusForGrpcCode(PresentStatus(StatusCode::kUnavailable).grpc_code), 503);
  EXPECT_EQ(HttpStatusForGrpcCode(PresentStatus(StatusCode::kUnauthenticated).grpc_code), 400);
  EXPECT_EQ(HttpStatusForGrpcCode(2 /* UNKNOWN: no status uses it */), 500);
  // Every code's gRPC form maps back to an HTTP status of the same class as
  // its own, except 413, which shares RESOURCE_EXHAUSTED (gRPC's code for a
  // message too large) with out-of-memory 507, and 501, which shares
  // UNIMPLEMENTED with 405.
  for (int v = 0; v <= static_cast<int>(StatusCode::kLast); ++v) {
    if (static_cast<StatusCode>(v) == StatusCode::kPayloadTooLarge) continue;
    if (static_cast<StatusCode>(v) == StatusCode::kUnimplemented) continue;
    const StatusPresentation p = PresentStatus(static_cast<StatusCode>(v));
    EXPECT_EQ(HttpStatusForGrpcCode(p.grpc_code) / 100, p.http_status / 100) << StatusCodeName(static_cast<StatusCode>(v));
  }
}

}  // namespace
}  // namespace hearth::core
