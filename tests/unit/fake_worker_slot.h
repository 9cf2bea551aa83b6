#pragma once
// A worker slot without a process, for unit tests of ModelVersion and
// ModelManager: the test decides when it loads, answers, crashes or stops,
// and the fake calls its listener exactly as core::Worker does (never from
// inside Dispatch, idle before answering).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/worker.h"

namespace hearth::core::testing {

class FakeWorkerSlot final : public WorkerSlot, public std::enable_shared_from_this<FakeWorkerSlot> {
 public:
  FakeWorkerSlot(WorkerOptions options, std::weak_ptr<WorkerListener> listener)
      : options_(std::move(options)), listener_(std::move(listener)) {}

  int id() const override { return options_.id; }
  const std::string& name() const override { return options_.name; }
  void Start() override {
    started = true;
    if (auto_load) Load();
  }
  void Dispatch(std::vector<JobPtr> batch) override {
    std::lock_guard lock(mu_);
    if (state_ != WorkerState::kReady) {
      returned_.push_back(std::move(batch));
      return;
    }
    state_ = WorkerState::kBusy;
    batches_.push_back(std::move(batch));
  }
  void Retire() override {
    retired = true;
    bool exit_now = false;
    {
      std::lock_guard lock(mu_);
      if (state_ != WorkerState::kBusy) state_ = WorkerState::kStopping;
      exit_now = auto_load && state_ == WorkerState::kStopping;
    }
    if (exit_now) Exit();
  }
  void Kill() override { killed = true; }
  void SetThreads(int threads, std::vector<int>) override { threads_ = threads; }
  WorkerSnapshot Snapshot() const override {
    WorkerSnapshot s;
    s.id = options_.id;
    s.name = options_.name;
    s.state = state();
    s.intra_op_threads = threads_;
    return s;
  }
  WorkerState state() const override {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::string signature_json() const override { return signature; }

  // --- what the test drives ---
  const WorkerOptions& options() const { return options_; }
  // The process loaded the model (or failed to).
  void Load(const Status& status = Status::Ok()) {
    Set(status.ok() ? WorkerState::kReady : WorkerState::kFailed);
    auto l = listener_.lock();
    l->OnWorkerLoadResult(shared_from_this(), status);
    l->OnWorkerStateChanged(shared_from_this());
    if (status.ok()) l->OnWorkerIdle(shared_from_this());
  }
  // Batches dispatched and not yet answered, oldest first.
  size_t PendingBatches() const {
    std::lock_guard lock(mu_);
    return batches_.size();
  }
  size_t BatchSize(size_t i) const {
    std::lock_guard lock(mu_);
    return batches_.at(i).size();
  }
  // Answers the oldest batch: each request's body is `body_prefix` + its id.
  void Answer(const std::string& body_prefix = "ok:") {
    std::vector<JobPtr> batch = TakeBatch();
    const bool stopping = retired;
    Set(stopping ? WorkerState::kStopped : WorkerState::kReady);
    auto l = listener_.lock();
    if (stopping) {
      l->OnWorkerStateChanged(shared_from_this());
    } else {
      l->OnWorkerIdle(shared_from_this());
    }
    for (auto& job : batch) {
      InferenceResponse r;
      r.body = body_prefix + job->request.request_id;
      job->done(std::move(r));
    }
  }
  // The process died mid-batch: its batch fails, the slot waits to restart.
  void Crash() {
    std::vector<JobPtr> batch = TakeBatch();
    Set(WorkerState::kRestartWait);
    for (auto& job : batch) job->Fail(Internal("Worker died."));
    listener_.lock()->OnWorkerStateChanged(shared_from_this());
  }
  // The process died while the slot was idle, and the listener has not
  // heard yet: the next Dispatch is refused and handed back.
  void BreakSilently() { Set(WorkerState::kRestartWait); }
  // A retired, idle slot's process exited.
  void Exit() {
    Set(WorkerState::kStopped);
    listener_.lock()->OnWorkerStateChanged(shared_from_this());
  }
  // Batches refused by Dispatch (the slot was not ready), handed back as a real slot does.
  void ReturnRefused() {
    std::vector<std::vector<JobPtr>> refused;
    {
      std::lock_guard lock(mu_);
      refused.swap(returned_);
    }
    for (auto& b : refused) listener_.lock()->OnBatchReturned(shared_from_this(), std::move(b));
  }

  bool auto_load = false;  // load at Start() and exit at Retire() by themselves
  bool started = false;
  bool retired = false;
  bool killed = false;
  std::string signature;

 private:
  void Set(WorkerState s) {
    std::lock_guard lock(mu_);
    state_ = s;
  }
  std::vector<JobPtr> TakeBatch() {
    std::lock_guard lock(mu_);
    if (batches_.empty()) return {};
    std::vector<JobPtr> batch = std::move(batches_.front());
    batches_.erase(batches_.begin());
    return batch;
  }

  WorkerOptions options_;
  std::weak_ptr<WorkerListener> listener_;
  mutable std::mutex mu_;
  WorkerState state_ = WorkerState::kStarting;
  std::vector<std::vector<JobPtr>> batches_;
  std::vector<std::vector<JobPtr>> returned_;
  int threads_ = 1;
};

// Makes FakeWorkerSlots and remembers them, in creation order.
struct FakeWorkerFactory {
  bool auto_load = false;
  std::mutex mu;
  std::vector<std::shared_ptr<FakeWorkerSlot>> made;  // guarded by mu (when made off the test thread)
  std::function<std::shared_ptr<WorkerSlot>(WorkerOptions, std::weak_ptr<WorkerListener>)> Maker() {
    return [this](WorkerOptions o, std::weak_ptr<WorkerListener> l) {
      auto slot = std::make_shared<FakeWorkerSlot>(std::move(o), std::move(l));
      slot->auto_load = auto_load;
      std::lock_guard lock(mu);
      made.push_back(slot);
      return slot;
    };
  }
};

}  // namespace hearth::core::testing
