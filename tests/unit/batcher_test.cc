#include "core/batcher.h"

#include <gtest/gtest.h>

namespace hearth::core {
namespace {

TEST(BatcherTest, BatchSizeOneGoesAtOnce) {
  FakeClock clock;
  Batcher<int> b({1, 100, 10});
  int x = 7;
  ASSERT_TRUE(b.TryEnqueue(x, clock.Now()));
  std::optional<SteadyTime> wake;
  auto batch = b.TakeBatch(clock.Now(), &wake);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0], 7);
  EXPECT_FALSE(wake);
}

TEST(BatcherTest, WaitsForDelayFromFirstArrival) {
  FakeClock clock;
  Batcher<int> b({4, 100, 10});
  int a = 1, c = 2;
  b.TryEnqueue(a, clock.Now());
  std::optional<SteadyTime> wake;
  EXPECT_TRUE(b.TakeBatch(clock.Now(), &wake).empty());
  ASSERT_TRUE(wake);
  EXPECT_EQ(*wake, clock.Now() + Millis(100));
  clock.Advance(Millis(30));
  b.TryEnqueue(c, clock.Now());
  EXPECT_TRUE(b.TakeBatch(clock.Now(), &wake).empty());
  EXPECT_EQ(*wake, clock.Now() + Millis(70));  // still measured from the first request
  clock.Advance(Millis(70));
  auto batch = b.TakeBatch(clock.Now(), &wake);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0], 1);
  EXPECT_EQ(batch[1], 2);
}

TEST(BatcherTest, ClosingWhenIdleHandsOutWhatIsQueuedAtOnce) {
  FakeClock clock;
  Batcher<int> b({4, 100, 10, BatchClosing::kWhenIdle});
  int a = 1, c = 2, d = 3, e = 4, f = 5, g = 6;
  b.TryEnqueue(a, clock.Now());
  std::optional<SteadyTime> wake;
  auto first = b.TakeBatch(clock.Now(), &wake);  // an idle worker: no wait for batch-mates
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(wake);
  // Requests that queued while every worker was busy go together, up to batch_size.
  for (int* x : {&c, &d, &e, &f, &g}) b.TryEnqueue(*x, clock.Now());
  auto second = b.TakeBatch(clock.Now(), &wake);
  EXPECT_EQ(second, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(b.TakeBatch(clock.Now(), &wake), (std::vector<int>{6}));
  EXPECT_FALSE(wake);
}

TEST(BatcherTest, FullBatchGoesBeforeDelay) {
  FakeClock clock;
  Batcher<int> b({3, 1000, 10});
  for (int i = 0; i < 5; ++i) b.TryEnqueue(i, clock.Now());
  std::optional<SteadyTime> wake;
  auto first = b.TakeBatch(clock.Now(), &wake);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[2], 2);
  // The remaining two wait for the delay (not padded).
  EXPECT_TRUE(b.TakeBatch(clock.Now(), &wake).empty());
  clock.Advance(Millis(1000));
  EXPECT_EQ(b.TakeBatch(clock.Now(), &wake).size(), 2u);
}

TEST(BatcherTest, OldRequestsGoImmediatelyWhenAWorkerFrees) {
  FakeClock clock;
  Batcher<int> b({8, 50, 10});
  int v = 1;
  b.TryEnqueue(v, clock.Now());
  clock.Advance(Millis(200));  // every worker was busy meanwhile
  std::optional<SteadyTime> wake;
  EXPECT_EQ(b.TakeBatch(clock.Now(), &wake).size(), 1u);
}

TEST(BatcherTest, CapacityRefusesAndKeepsItem) {
  FakeClock clock;
  Batcher<std::unique_ptr<int>> b({1, 0, 2});
  auto a = std::make_unique<int>(1), c = std::make_unique<int>(2), d = std::make_unique<int>(3);
  EXPECT_TRUE(b.TryEnqueue(a, clock.Now()));
  EXPECT_TRUE(b.TryEnqueue(c, clock.Now()));
  EXPECT_FALSE(b.TryEnqueue(d, clock.Now()));
  ASSERT_TRUE(d);  // untouched on refusal
  EXPECT_EQ(*d, 3);
  EXPECT_EQ(b.remaining_capacity(), 0);
}

TEST(BatcherTest, RequeuePutsBatchBackInOrder) {
  FakeClock clock;
  Batcher<int> b({2, 0, 10});
  for (int i = 0; i < 3; ++i) b.TryEnqueue(i, clock.Now());
  std::optional<SteadyTime> wake;
  auto batch = b.TakeBatch(clock.Now(), &wake);
  b.Requeue(std::move(batch), {clock.Now(), clock.Now()});
  auto again = b.TakeBatch(clock.Now(), &wake);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0], 0);
  EXPECT_EQ(again[1], 1);
}

}  // namespace
}  // namespace hearth::core
