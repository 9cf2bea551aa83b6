#include "core/backoff.h"

#include <gtest/gtest.h>

namespace hearth::core {
namespace {

TEST(RestartBackoffTest, FibonacciDelaysThenGivesUp) {
  FakeClock clock;
  RestartBackoff backoff(300);
  std::vector<long long> seconds;
  for (int i = 0; i < 6; ++i) seconds.push_back(backoff.OnFailure(clock.Now())->count() / 1000);
  EXPECT_EQ(seconds, (std::vector<long long>{1, 1, 2, 3, 5, 8}));
  clock.Advance(std::chrono::seconds(301));
  EXPECT_FALSE(backoff.OnFailure(clock.Now()));
}

TEST(RestartBackoffTest, SuccessResets) {
  FakeClock clock;
  RestartBackoff backoff(300);
  backoff.OnFailure(clock.Now());
  backoff.OnFailure(clock.Now());
  backoff.OnFailure(clock.Now());
  backoff.OnSuccess();
  clock.Advance(std::chrono::seconds(1000));
  EXPECT_EQ(backoff.OnFailure(clock.Now())->count(), 1000);
}

}  // namespace
}  // namespace hearth::core
