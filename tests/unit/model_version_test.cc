// ModelVersion with fake worker slots and fake timers: queueing, batching,
// dispatch order, crashes, scaling and drain, with no processes and no sleeps.
#include "core/model_version.h"

#include <gtest/gtest.h>

#include "fake_worker_slot.h"

namespace hearth::core {
namespace {

using testing::FakeWorkerFactory;
using testing::FakeWorkerSlot;

struct Answer {
  bool done = false;
  InferenceResponse response;
};

class ModelVersionTest : public ::testing::Test {
 protected:
  ModelVersionTest() {
    launch_.timers = &timers_;
    launch_.make_worker = factory_.Maker();
    launch_.next_worker_id = [this] { return next_id_++; };
  }

  std::shared_ptr<ModelVersion> Make(int batch_size = 1, int delay_ms = 100, int queue = 100) {
    ModelSettings s;
    s.name = "m";
    s.version = "1.0";
    s.batch_size = batch_size;
    s.max_batch_delay_ms = delay_ms;
    s.job_queue_size = queue;
    return std::make_shared<ModelVersion>(io_, s, &launch_);
  }

  std::shared_ptr<Answer> Submit(ModelVersion& mv, const std::string& id) {
    auto answer = std::make_shared<Answer>();
    auto job = std::make_unique<Job>();
    job->request.request_id = id;
    job->arrival = timers_.Now();
    job->done = [answer](InferenceResponse r) {
      answer->done = true;
      answer->response = std::move(r);
    };
    mv.Submit(std::move(job));
    return answer;
  }

  // Scales to n workers and loads them all.
  void Loaded(ModelVersion& mv, int n) {
    mv.Scale(n, n, nullptr);
    for (auto& w : factory_.made) {
      if (w->state() == WorkerState::kStarting) w->Load();
    }
  }

  FakeWorkerSlot& worker(size_t i) { return *factory_.made.at(i); }

  boost::asio::io_context io_;
  FakeTimers timers_;
  FakeWorkerFactory factory_;
  WorkerLaunchContext launch_;
  int next_id_ = 9000;
};

TEST_F(ModelVersionTest, NoWorkerAnswers503AtOnce) {
  auto mv = Make();
  auto a = Submit(*mv, "r1");
  ASSERT_TRUE(a->done);
  EXPECT_EQ(a->response.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(a->response.status.message().find("Model \"m\" has no worker to serve inference request"),
            std::string::npos);
}

TEST_F(ModelVersionTest, FullBatchLeavesWithoutWaiting) {
  auto mv = Make(/*batch_size=*/3, /*delay_ms=*/100);
  Loaded(*mv, 1);
  auto a = Submit(*mv, "a"), b = Submit(*mv, "b");
  EXPECT_EQ(worker(0).PendingBatches(), 0u);
  auto c = Submit(*mv, "c");
  ASSERT_EQ(worker(0).PendingBatches(), 1u);
  EXPECT_EQ(worker(0).BatchSize(0), 3u);
  worker(0).Answer();
  EXPECT_TRUE(a->done && b->done && c->done);
  EXPECT_EQ(c->response.body, "ok:c");
}

TEST_F(ModelVersionTest, PartialBatchLeavesWhenTheDelayEnds) {
  auto mv = Make(/*batch_size=*/4, /*delay_ms=*/50);
  Loaded(*mv, 1);
  Submit(*mv, "a");
  timers_.Advance(std::chrono::milliseconds(20));
  Submit(*mv, "b");
  timers_.Advance(std::chrono::milliseconds(29));
  EXPECT_EQ(worker(0).PendingBatches(), 0u);
  timers_.Advance(std::chrono::milliseconds(1));  // 50 ms after the first request
  ASSERT_EQ(worker(0).PendingBatches(), 1u);
  EXPECT_EQ(worker(0).BatchSize(0), 2u);
}

TEST_F(ModelVersionTest, NextBatchIsDispatchedBeforeAnswersAreHandedBack) {
  auto mv = Make();
  Loaded(*mv, 1);
  size_t pending_when_first_answered = 0;
  auto job = std::make_unique<Job>();
  job->request.request_id = "first";
  job->arrival = timers_.Now();
  job->done = [&](InferenceResponse) { pending_when_first_answered = worker(0).PendingBatches(); };
  mv->Submit(std::move(job));
  Submit(*mv, "second");
  worker(0).Answer();
  EXPECT_EQ(pending_when_first_answered, 1u);  // "second" was already with the worker
}

TEST_F(ModelVersionTest, FullQueueAnswers503) {
  auto mv = Make(1, 100, /*queue=*/2);
  mv->Scale(1, 1, nullptr);  // starting, not loaded: requests queue
  auto a = Submit(*mv, "a"), b = Submit(*mv, "b"), c = Submit(*mv, "c");
  EXPECT_FALSE(a->done);
  EXPECT_FALSE(b->done);
  ASSERT_TRUE(c->done);
  EXPECT_EQ(c->response.status.code(), StatusCode::kUnavailable);
  worker(0).Load();
  worker(0).Answer();
  EXPECT_TRUE(a->done);
  EXPECT_EQ(mv->QueueSize(), 0);
}

TEST_F(ModelVersionTest, CrashFailsOnlyItsBatch) {
  auto mv = Make();
  Loaded(*mv, 2);
  // The worker idle the shortest time (the last one loaded) takes a.
  auto a = Submit(*mv, "a"), b = Submit(*mv, "b"), c = Submit(*mv, "c");
  worker(1).Crash();
  ASSERT_TRUE(a->done);
  EXPECT_EQ(a->response.status.message(), "Worker died.");
  EXPECT_FALSE(b->done);
  EXPECT_FALSE(c->done);
  worker(0).Answer();  // b; c goes to the surviving worker next
  EXPECT_TRUE(b->done);
  ASSERT_EQ(worker(0).PendingBatches(), 1u);
  worker(0).Answer();
  EXPECT_EQ(c->response.body, "ok:c");
}

TEST_F(ModelVersionTest, AtLowLoadTheWarmWorkerTakesEveryRequest) {
  auto mv = Make();
  Loaded(*mv, 2);
  for (const char* name : {"a", "b", "c"}) {
    auto job = Submit(*mv, name);
    ASSERT_EQ(worker(1).PendingBatches(), 1u) << name;
    EXPECT_EQ(worker(0).PendingBatches(), 0u) << name;
    worker(1).Answer();
    EXPECT_EQ(job->response.body, std::string("ok:") + name);
  }
  // Both busy: the other one takes the second of two requests.
  auto d = Submit(*mv, "d"), e = Submit(*mv, "e");
  EXPECT_EQ(worker(1).PendingBatches(), 1u);
  EXPECT_EQ(worker(0).PendingBatches(), 1u);
}

TEST_F(ModelVersionTest, BatchTheWorkerCouldNotTakeIsRequeued) {
  auto mv = Make();
  Loaded(*mv, 1);
  worker(0).BreakSilently();  // broke between reporting idle and the dispatch reaching it
  auto a = Submit(*mv, "a");
  EXPECT_EQ(worker(0).PendingBatches(), 0u);
  worker(0).ReturnRefused();
  EXPECT_FALSE(a->done);
  EXPECT_EQ(mv->QueueSize(), 1);
  worker(0).Load();  // restarted: the requeued request goes to it
  ASSERT_EQ(worker(0).PendingBatches(), 1u);
  worker(0).Answer();
  EXPECT_EQ(a->response.body, "ok:a");
}

TEST_F(ModelVersionTest, SynchronousScaleWaitsForEveryLoad) {
  auto mv = Make();
  std::optional<Status> result;
  mv->Scale(2, 2, [&](Status st) { result = st; });
  ASSERT_EQ(factory_.made.size(), 2u);
  EXPECT_TRUE(worker(0).started && worker(1).started);
  worker(0).Load();
  EXPECT_FALSE(result);
  worker(1).Load();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->ok());

  std::optional<Status> failed;
  mv->Scale(3, 3, [&](Status st) { failed = st; });
  worker(2).Load(Internal("handler \"h.py\" failed to load: ValueError: no"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->message(), "handler \"h.py\" failed to load: ValueError: no");
}

TEST_F(ModelVersionTest, ScalingDownRetiresTheNewestWorkers) {
  auto mv = Make();
  Loaded(*mv, 3);
  mv->Scale(1, 1, nullptr);
  EXPECT_FALSE(worker(0).retired);
  EXPECT_TRUE(worker(1).retired);
  EXPECT_TRUE(worker(2).retired);
  EXPECT_EQ(mv->ActiveWorkerCount(), 1);
}

TEST_F(ModelVersionTest, ShutdownServesTheQueueThenStopsTheWorkers) {
  auto mv = Make();
  Loaded(*mv, 1);
  auto a = Submit(*mv, "a"), b = Submit(*mv, "b");
  std::optional<Status> stopped;
  mv->Shutdown(std::chrono::seconds(10), [&](Status st) { stopped = st; });
  auto late = Submit(*mv, "late");
  ASSERT_TRUE(late->done);
  EXPECT_EQ(late->response.status.message(), "Model \"m\" is being unregistered");
  worker(0).Answer();  // a
  worker(0).Answer();  // b, queued before the shutdown
  EXPECT_TRUE(a->done && b->done);
  EXPECT_EQ(b->response.body, "ok:b");
  EXPECT_TRUE(worker(0).retired);
  EXPECT_FALSE(stopped);
  worker(0).Exit();
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->ok());
}

TEST_F(ModelVersionTest, ShutdownDeadlineKillsWorkersThatDoNotStop) {
  auto mv = Make();
  Loaded(*mv, 1);
  Submit(*mv, "stuck");
  std::optional<Status> stopped;
  mv->Shutdown(std::chrono::seconds(5), [&](Status st) { stopped = st; });
  timers_.Advance(std::chrono::milliseconds(4999));
  EXPECT_FALSE(stopped);
  timers_.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(stopped->message(), "Timed out while cleaning resources: m");
  EXPECT_TRUE(worker(0).killed);
}

TEST_F(ModelVersionTest, QueueFailsFastWhenNoWorkerCanEverServeIt) {
  auto mv = Make();
  mv->Scale(1, 1, nullptr);
  auto a = Submit(*mv, "a");
  EXPECT_FALSE(a->done);
  worker(0).Load(Internal("cannot load"));  // FAILED for good
  ASSERT_TRUE(a->done);
  EXPECT_EQ(a->response.status.code(), StatusCode::kUnavailable);
}

TEST_F(ModelVersionTest, DescribeListsWorkersAndQueue) {
  auto mv = Make(2, 10, 7);
  Loaded(*mv, 1);
  Submit(*mv, "a");  // waits for a second request (batch of 2)
  ModelDescription d = mv->Describe();
  EXPECT_EQ(d.settings.batch_size, 2);
  ASSERT_EQ(d.workers.size(), 1u);
  EXPECT_EQ(d.workers[0].state, WorkerState::kReady);
  EXPECT_EQ(d.queue_pending, 1);
  EXPECT_EQ(d.queue_remaining_capacity, 6);
}

}  // namespace
}  // namespace hearth::core
