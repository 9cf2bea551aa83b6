#pragma once
// A worker slot as its model version sees it: the interface between the
// batching side (ModelVersion) and the process side (Worker). Unit tests of
// ModelVersion implement it with fakes; Worker implements it with a real
// process.
//
// States and the only transitions a slot may make (IsLegalTransition):
//
//   STARTING --loaded--> READY <--answered-- BUSY
//      |                   |  --dispatched-->  |
//      |                   +--------+----------+
//      |  (failure)                 | (failure)           (retire)
//      +------------------> RESTART_WAIT --respawn--> STARTING
//      |                            |
//      +--> STOPPING --exited--> STOPPED   (retire / kill, from any live state)
//      +--> FAILED  (load failed for good, or failing for max_retry_timeout_s)
//
// FAILED and STOPPED are final.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/inference_types.h"

namespace hearth::core {

enum class WorkerState { kStarting, kReady, kBusy, kRestartWait, kStopping, kStopped, kFailed };
// TorchServe's names: STARTING, READY (busy too), UNLOADING, STOPPED, FAILED.
const char* WorkerStateName(WorkerState state);
bool IsLegalTransition(WorkerState from, WorkerState to);

struct WorkerSnapshot {
  int id = 0;
  std::string name;
  pid_t pid = 0;
  WorkerState state = WorkerState::kStarting;
  std::chrono::system_clock::time_point start_time;
  int64_t rss_bytes = 0;
  int restarts = 0;
  int intra_op_threads = 0;
  std::vector<int> cpu_list;
};

class WorkerSlot {
 public:
  virtual ~WorkerSlot() = default;
  virtual int id() const = 0;                   // TorchServe's "port", never reused
  virtual const std::string& name() const = 0;  // W-<id>-<model>_<version>
  // Starts the first process.
  virtual void Start() = 0;
  // Takes a batch. Only after OnWorkerIdle and before the next dispatch; a
  // batch that cannot be sent comes back through OnBatchReturned. Never
  // blocks. Called with none of the listener's locks held: it may send the
  // batch (and hand it back) from inside the call.
  virtual void Dispatch(std::vector<JobPtr> batch) = 0;
  // Stops after the current batch; no restart.
  virtual void Retire() = 0;
  // Kills the process now (a shutdown deadline passed); no restart.
  virtual void Kill() = 0;
  // The intra-op thread count from now on (and the cores, when pinned).
  virtual void SetThreads(int intra_op_threads, std::vector<int> cpu_list) = 0;
  virtual WorkerSnapshot Snapshot() const = 0;
  virtual WorkerState state() const = 0;
  // The model's KServe v2 metadata its process reported at load ("" before).
  virtual std::string signature_json() const = 0;

  // Starting, ready or busy: a process that exists and is meant to serve.
  bool IsLive() const;
  // Will serve eventually (live or waiting to restart).
  bool IsActive() const;
  // Loaded and serving (ready or busy).
  bool IsLoaded() const;
};

// Implemented by the model version that owns the slots. Called on the
// slot's own thread (strand), never under the slot's lock, so the listener
// may call back into the slot.
class WorkerListener {
 public:
  virtual ~WorkerListener() = default;
  // The worker is loaded and idle: it may be given a batch.
  virtual void OnWorkerIdle(const std::shared_ptr<WorkerSlot>& worker) = 0;
  // A load attempt finished (OK or not); used by synchronous scaling.
  virtual void OnWorkerLoadResult(const std::shared_ptr<WorkerSlot>& worker, const Status& status) = 0;
  // A dispatched batch never reached the process (it had just died); the
  // listener requeues it.
  virtual void OnBatchReturned(const std::shared_ptr<WorkerSlot>& worker, std::vector<JobPtr> batch) = 0;
  // The slot changed state (died, restarting, stopped, failed).
  virtual void OnWorkerStateChanged(const std::shared_ptr<WorkerSlot>& worker) = 0;
};

}  // namespace hearth::core
