#include "common/timers.h"

#include <gtest/gtest.h>

#include <vector>

namespace hearth {
namespace {

TEST(FakeTimersTest, RunsDueCallbacksInOrderOnlyWhenAdvanced) {
  FakeTimers timers;
  std::vector<int> fired;
  timers.After(std::chrono::milliseconds(30), [&] { fired.push_back(30); });
  timers.After(std::chrono::milliseconds(10), [&] { fired.push_back(10); });
  const auto cancelled = timers.After(std::chrono::milliseconds(20), [&] { fired.push_back(20); });
  timers.Cancel(cancelled);
  EXPECT_TRUE(fired.empty());
  timers.Advance(std::chrono::milliseconds(10));
  EXPECT_EQ(fired, std::vector<int>({10}));
  timers.Advance(std::chrono::milliseconds(25));
  EXPECT_EQ(fired, std::vector<int>({10, 30}));
  EXPECT_EQ(timers.Pending(), 0u);
}

TEST(FakeTimersTest, CallbacksSeeTheirDueTimeAndMayArmMore) {
  FakeTimers timers;
  const SteadyTime start = timers.Now();
  std::vector<long long> seen_ms;
  std::function<void()> tick = [&] {
    seen_ms.push_back(std::chrono::duration_cast<Millis>(timers.Now() - start).count());
    if (seen_ms.size() < 3) timers.After(std::chrono::milliseconds(5), tick);
  };
  timers.After(std::chrono::milliseconds(5), tick);
  timers.Advance(std::chrono::milliseconds(100));
  EXPECT_EQ(seen_ms, std::vector<long long>({5, 10, 15}));
  EXPECT_EQ(std::chrono::duration_cast<Millis>(timers.Now() - start).count(), 100);
}

}  // namespace
}  // namespace hearth
