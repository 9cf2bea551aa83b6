// core::Worker's protocol session against a fake process host: the test
// plays the worker over a real socket pair, with no process, and drives the
// clock with FakeTimers. Every transition, a crash mid-batch, a wrong batch
// id, a response timeout, the OOM killer, a load that fails for good, and a
// retire while busy.
#include "core/worker.h"

#include <map>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "ipc/framing.h"

namespace hearth::core {
namespace {

// Hands out socket pairs as "processes" and reports exits when told to.
class FakeProcesses final : public ProcessHost {
 public:
  struct Child {
    pid_t pid = 0;
    int fd = -1;  // the worker's end of the socket
    std::function<void(int)> on_exit;
  };

  StatusOr<WorkerProcess> Launch(const WorkerProcessSpec&) override {
    int sv[2], out[2], err[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0) {
      return Internal("no descriptors");
    }
    ::close(out[1]);  // no output: the log readers see EOF
    ::close(err[1]);
    std::lock_guard lock(mu_);
    Child c;
    c.pid = 50000 + static_cast<pid_t>(children_.size());
    c.fd = sv[1];
    children_.push_back(c);
    cv_.notify_all();
    return WorkerProcess{c.pid, sv[0], out[0], err[0]};
  }
  void WatchExit(pid_t pid, std::function<void(int)> on_exit) override {
    std::lock_guard lock(mu_);
    for (auto& c : children_) {
      if (c.pid == pid) c.on_exit = std::move(on_exit);
    }
  }
  void Kill(pid_t pid) override {
    {
      std::lock_guard lock(mu_);
      kills_.push_back(pid);
    }
    Exit(pid, SIGKILL);  // a killed process exits with signal 9
  }
  // The process ends with `signal` (0: exit code 1).
  void Exit(pid_t pid, int signal) {
    std::function<void(int)> on_exit;
    {
      std::lock_guard lock(mu_);
      for (auto& c : children_) {
        if (c.pid == pid && c.fd >= 0) {
          ::close(c.fd);
          c.fd = -1;
          on_exit = std::move(c.on_exit);
        }
      }
    }
    if (on_exit) on_exit(signal ? signal : (1 << 8));  // wait status: signalled, or exit code 1
  }
  // Waits for the n-th launch (1-based) and returns its child.
  Child WaitForLaunch(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [&] { return children_.size() >= n; }));
    return children_.size() >= n ? children_[n - 1] : Child{};
  }
  size_t launches() {
    std::lock_guard lock(mu_);
    return children_.size();
  }
  std::vector<pid_t> kills() {
    std::lock_guard lock(mu_);
    return kills_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Child> children_;
  std::vector<pid_t> kills_;
};

// Records what the slot tells its model version.
class Listener final : public WorkerListener {
 public:
  void OnWorkerIdle(const std::shared_ptr<WorkerSlot>&) override { Bump(&idle); }
  void OnWorkerLoadResult(const std::shared_ptr<WorkerSlot>&, const Status& st) override {
    std::lock_guard lock(mu);
    load_results.push_back(st);
    cv.notify_all();
  }
  void OnBatchReturned(const std::shared_ptr<WorkerSlot>&, std::vector<JobPtr> batch) override {
    {
      std::lock_guard lock(mu);
      returned_batches.push_back(std::move(batch));  // kept, as a model version requeues them
    }
    Bump(&returned);
  }
  void OnWorkerStateChanged(const std::shared_ptr<WorkerSlot>&) override { Bump(&changes); }
  void Bump(int* counter) {
    std::lock_guard lock(mu);
    ++*counter;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  int idle = 0, returned = 0, changes = 0;
  std::vector<Status> load_results;
  std::vector<std::vector<JobPtr>> returned_batches;
};

class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest() : listener_(std::make_shared<Listener>()), work_(io_.get_executor()), io_thread_([this] { io_.run(); }) {}
  ~WorkerTest() override {
    if (worker_) worker_->Kill();
    WaitUntil([&] { return !worker_ || worker_->state() == WorkerState::kStopped ||
                           worker_->state() == WorkerState::kFailed; });
    worker_.reset();
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  void Start() {
    WorkerOptions o;
    o.id = 9000;
    o.name = "W-9000-m_1.0";
    o.command = {"/bin/false"};  // never run: the fake host launches nothing
    o.timers = &timers_;
    o.processes = &processes_;
    o.response_timeout_s = 5;
    o.startup_timeout_s = 10;
    worker_ = std::make_shared<Worker>(io_, o, listener_);
    worker_->Start();
  }

  template <typename Pred>
  void WaitUntil(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_TRUE(pred());
  }
  int Idle() {
    std::lock_guard lock(listener_->mu);
    return listener_->idle;
  }
  void WaitForState(WorkerState s) {
    WaitUntil([&] { return worker_->state() == s; });
  }

  static void Send(int fd, const ipc::Envelope& e) { ASSERT_TRUE(ipc::WriteFrame(fd, e).ok()); }
  ipc::Envelope Receive(int fd) {
    auto e = ipc::ReadFrame(fd, incoming_[fd]);
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? *e : ipc::Envelope{};
  }

  // Plays a worker's start: Hello, then answers LoadModel.
  FakeProcesses::Child Boot(size_t launch, bool load_ok = true, bool retryable = true) {
    FakeProcesses::Child c = processes_.WaitForLaunch(launch);
    ipc::Envelope hello;
    hello.mutable_hello()->set_protocol_version(ipc::kProtocolVersion);
    Send(c.fd, hello);
    EXPECT_EQ(Receive(c.fd).message_case(), ipc::Envelope::kLoadModel);
    ipc::Envelope result;
    result.mutable_load_model_result()->set_ok(load_ok);
    if (!load_ok) {
      result.mutable_load_model_result()->set_status_code(static_cast<int>(StatusCode::kInternal));
      result.mutable_load_model_result()->set_message("ModuleNotFoundError: No module named 'x'");
      result.mutable_load_model_result()->set_retryable(retryable);
    }
    Send(c.fd, result);
    return c;
  }

  // Start() and Boot(1): a loaded, idle worker.
  FakeProcesses::Child StartReady() {
    Start();
    FakeProcesses::Child child = Boot(1);
    WaitForState(WorkerState::kReady);
    return child;
  }

  std::future<InferenceResponse> Dispatch(const std::string& id) {
    auto promise = std::make_shared<std::promise<InferenceResponse>>();
    auto job = std::make_unique<Job>();
    job->request.request_id = id;
    job->done = [promise](InferenceResponse r) { promise->set_value(std::move(r)); };
    std::vector<JobPtr> batch;
    batch.push_back(std::move(job));
    worker_->Dispatch(std::move(batch));
    return promise->get_future();
  }

  static InferenceResponse Get(std::future<InferenceResponse>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return f.valid() ? f.get() : InferenceResponse{};
  }

  static ipc::Envelope Answer(uint64_t batch_id, const std::string& body) {
    ipc::Envelope e;
    auto* r = e.mutable_predict_result();
    r->set_batch_id(batch_id);
    r->add_responses()->set_body(body);
    return e;
  }

  // Declared before the io_context: handlers it still holds at destruction may release the worker,
  // whose destructor uses the process host.
  FakeTimers timers_;
  FakeProcesses processes_;
  std::map<int, ipc::FrameBuffer> incoming_;  // per fake child: bytes beyond the frame read
  std::shared_ptr<Listener> listener_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread io_thread_;
  std::shared_ptr<Worker> worker_;
};

TEST_F(WorkerTest, LoadsThenAnswersBatchesAndIsIdleBeforeTheAnswerIsHandedBack) {
  Start();
  EXPECT_EQ(worker_->state(), WorkerState::kStarting);
  auto child = Boot(1);
  WaitUntil([&] { return Idle() == 1; });  // READY, and told so
  EXPECT_EQ(worker_->state(), WorkerState::kReady);
  auto answer = Dispatch("r1");
  ipc::Envelope predict = Receive(child.fd);
  ASSERT_EQ(predict.message_case(), ipc::Envelope::kPredict);
  EXPECT_EQ(predict.predict().requests(0).request_id(), "r1");
  EXPECT_EQ(worker_->state(), WorkerState::kBusy);
  Send(child.fd, Answer(predict.predict().batch_id(), "y"));
  EXPECT_EQ(Get(answer).body, "y");
  WaitUntil([&] { return Idle() == 2; });
  EXPECT_EQ(worker_->state(), WorkerState::kReady);
}

TEST_F(WorkerTest, AnAnswerToTheWrongBatchIsAProtocolError) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  ipc::Envelope predict = Receive(child.fd);
  Send(child.fd, Answer(predict.predict().batch_id() + 7, "stale"));
  // The channel is not trusted any more: a short grace (500 ms) for the exit status, then the kill.
  // Fake time moves in steps until the batch is answered (well before the 5 s response timeout).
  for (int i = 0; i < 30 && answer.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready; ++i) {
    timers_.Advance(std::chrono::milliseconds(100));
  }
  InferenceResponse r = Get(answer);
  EXPECT_EQ(r.status.message(), "Worker died.");
  EXPECT_EQ(r.status.code(), StatusCode::kInternal);
  WaitForState(WorkerState::kRestartWait);
  EXPECT_EQ(processes_.kills(), std::vector<pid_t>{child.pid});  // the process is not trusted any more
  timers_.Advance(std::chrono::seconds(1));                       // the first back-off step
  processes_.WaitForLaunch(2);
  WaitForState(WorkerState::kStarting);
}

ipc::Envelope Partial(uint64_t batch_id, const std::string& request_id, const std::string& body) {
  ipc::Envelope e;
  e.mutable_predict_partial()->set_batch_id(batch_id);
  auto* r = e.mutable_predict_partial()->add_responses();
  r->set_request_id(request_id);
  r->set_body(body);
  return e;
}

TEST_F(WorkerTest, StreamedPartsReachOnPartialInOrderBeforeTheFinalAnswer) {
  auto child = StartReady();
  std::mutex mu;
  std::vector<std::string> parts;
  auto promise = std::make_shared<std::promise<InferenceResponse>>();
  auto answer = promise->get_future();
  auto job = std::make_unique<Job>();
  job->request.request_id = "r1";
  job->request.on_partial = [&](InferenceResponse r) {
    std::lock_guard lock(mu);
    parts.push_back(r.body);
  };
  job->done = [promise, &mu, &parts](InferenceResponse r) {
    std::lock_guard lock(mu);
    parts.push_back("final:" + r.body);
    promise->set_value(std::move(r));
  };
  std::vector<JobPtr> batch;
  batch.push_back(std::move(job));
  worker_->Dispatch(std::move(batch));
  ipc::Envelope predict = Receive(child.fd);
  const uint64_t id = predict.predict().batch_id();
  Send(child.fd, Partial(id, "r1", "a"));
  Send(child.fd, Partial(id, "r1", "b"));
  Send(child.fd, Answer(id, "c"));
  EXPECT_EQ(Get(answer).body, "c");
  std::lock_guard lock(mu);
  EXPECT_EQ(parts, (std::vector<std::string>{"a", "b", "final:c"}));
}

TEST_F(WorkerTest, PartsOfARequestThatCannotStreamAreJoinedAheadOfItsAnswer) {
  auto child = StartReady();
  auto answer = Dispatch("r1");  // no on_partial: a one-answer transport
  ipc::Envelope predict = Receive(child.fd);
  const uint64_t id = predict.predict().batch_id();
  Send(child.fd, Partial(id, "r1", "hello "));
  Send(child.fd, Answer(id, "world"));
  EXPECT_EQ(Get(answer).body, "hello world");
}

TEST_F(WorkerTest, APartForARequestNotInTheBatchIsAProtocolError) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  ipc::Envelope predict = Receive(child.fd);
  Send(child.fd, Partial(predict.predict().batch_id(), "someone-else", "x"));
  for (int i = 0; i < 30 && answer.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready; ++i) {
    timers_.Advance(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Get(answer).status.message(), "Worker died.");
  WaitForState(WorkerState::kRestartWait);
}

TEST_F(WorkerTest, CrashMidBatchFailsTheBatchAndRestarts) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  Receive(child.fd);
  processes_.Exit(child.pid, 0);  // exit code 1
  EXPECT_EQ(Get(answer).status.message(), "Worker died.");
  WaitForState(WorkerState::kRestartWait);
  EXPECT_EQ(worker_->Snapshot().restarts, 1);
  timers_.Advance(std::chrono::milliseconds(999));
  EXPECT_EQ(processes_.launches(), 1u);
  timers_.Advance(std::chrono::milliseconds(1));
  auto again = Boot(2);
  WaitForState(WorkerState::kReady);
  auto second = Dispatch("r2");
  ipc::Envelope predict = Receive(again.fd);
  Send(again.fd, Answer(predict.predict().batch_id(), "back"));
  EXPECT_EQ(Get(second).body, "back");
}

TEST_F(WorkerTest, TheKernelsKillIsOutOfMemory507) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  Receive(child.fd);
  processes_.Exit(child.pid, SIGKILL);  // not by Hearth: the OOM killer
  InferenceResponse r = Get(answer);
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status.message(), "Worker died.");
}

TEST_F(WorkerTest, ResponseTimeoutKillsAndFailsTheBatch) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  Receive(child.fd);
  WaitUntil([&] { return timers_.Pending() >= 1; });
  timers_.Advance(std::chrono::seconds(5));
  InferenceResponse r = Get(answer);
  EXPECT_EQ(r.status.code(), StatusCode::kInternal);  // killed by Hearth: 500, not 507
  EXPECT_EQ(processes_.kills(), std::vector<pid_t>{child.pid});
  WaitForState(WorkerState::kRestartWait);
}

TEST_F(WorkerTest, ALoadThatCannotSucceedFailsForGood) {
  Start();
  auto child = Boot(1, /*load_ok=*/false, /*retryable=*/false);
  WaitForState(WorkerState::kFailed);
  WaitUntil([&] {
    std::lock_guard lock(listener_->mu);
    return listener_->load_results.size() == 1;
  });
  EXPECT_EQ(listener_->load_results[0].message(), "ModuleNotFoundError: No module named 'x'");
  EXPECT_EQ(Receive(child.fd).message_case(), ipc::Envelope::kShutdown);
  processes_.Exit(child.pid, 0);
  timers_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(processes_.launches(), 1u);  // never restarted
  EXPECT_EQ(worker_->state(), WorkerState::kFailed);
}

TEST_F(WorkerTest, RetireWhileBusyFinishesTheBatchThenStops) {
  auto child = StartReady();
  auto answer = Dispatch("r1");
  ipc::Envelope predict = Receive(child.fd);
  worker_->Retire();
  Send(child.fd, Answer(predict.predict().batch_id(), "last"));
  EXPECT_EQ(Get(answer).body, "last");
  EXPECT_EQ(Receive(child.fd).message_case(), ipc::Envelope::kShutdown);
  WaitForState(WorkerState::kStopping);
  processes_.Exit(child.pid, 0);
  WaitForState(WorkerState::kStopped);
  EXPECT_EQ(Idle(), 1);  // never offered work after the retire
}

TEST_F(WorkerTest, ADispatchToAWorkerThatIsNotReadyComesBack) {
  Start();
  processes_.WaitForLaunch(1);  // starting: not loaded yet
  auto answer = Dispatch("early");
  WaitUntil([&] {
    std::lock_guard lock(listener_->mu);
    return listener_->returned == 1;
  });
  EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);  // not answered: requeued
}

}  // namespace
}  // namespace hearth::core
