#pragma once
// One worker slot of a model version: a hearth-worker process that loads the
// model and runs batches, restarted with backoff when it dies. The slot keeps
// its id (TorchServe's "port", never reused) across restarts.
//
// Life of a slot
//   Start() spawns the process, which says Hello; the slot sends LoadModel
//   and waits up to startup_timeout_s for LoadModelResult. Once loaded it is
//   READY and tells its listener it is idle; the listener hands it one batch
//   at a time (Dispatch); each batch must answer within response_timeout_s.
//   If the process exits, breaks the protocol or times out, the batch it held
//   is answered with 500 "Worker died." (507 when the kernel killed it, which
//   is what the OOM killer does) and the slot restarts it after the backoff
//   delay, until it has been failing for max_retry_timeout_s; then it is
//   FAILED for good. Retire() lets the current batch finish, then stops the
//   process; the slot ends STOPPED.
//
// Threading: every method is thread-safe and non-blocking; work happens on
// the slot's strand. Listener callbacks run on that strand, never under the
// slot's lock, so the listener may call back into the slot.

#include <sys/types.h>

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/backoff.h"
#include "core/inference_types.h"
#include "core/metrics.h"
#include "worker.pb.h"

namespace hearth::core {

enum class WorkerState { kStarting, kReady, kBusy, kRestartWait, kStopping, kStopped, kFailed };
const char* WorkerStateName(WorkerState state);

class Worker;

// Implemented by the model version that owns the slot.
class WorkerListener {
 public:
  virtual ~WorkerListener() = default;
  // The worker is loaded and idle: it may be given a batch.
  virtual void OnWorkerIdle(const std::shared_ptr<Worker>& worker) = 0;
  // A load attempt finished (OK or not); used by synchronous scaling.
  virtual void OnWorkerLoadResult(const std::shared_ptr<Worker>& worker, const Status& status) = 0;
  // A dispatched batch never reached the process (it had just died); the
  // listener requeues it.
  virtual void OnBatchReturned(const std::shared_ptr<Worker>& worker, std::vector<JobPtr> batch) = 0;
  // The slot changed state (died, restarting, stopped, failed).
  virtual void OnWorkerStateChanged(const std::shared_ptr<Worker>& worker) = 0;
};

struct WorkerOptions {
  int id = 9000;
  std::string name;            // W-<id>-<model>_<version>
  // The worker program and its leading arguments: {hearth-worker} or
  // {python3, -m, hearth_worker}; "--ipc-fd 3 --name <name>" follow.
  std::vector<std::string> command;
  std::vector<std::string> env;  // complete environment for the process
  ipc::LoadModel load;         // what to load (intra_op_threads filled per start)
  int startup_timeout_s = 120;
  int response_timeout_s = 120;
  int max_retry_timeout_s = 300;
  int intra_op_threads = 1;
  int64_t max_response_size = 6553500;
  std::vector<int> cpu_list;   // cores to pin to (empty: none)
  bool pinned = false;         // placed by the CPU launcher: thread count fixed
  ModelMetrics* metrics = nullptr;  // latency histograms; may be null
  // CPU launcher lines (level, text) written to model_log.log before each spawn.
  std::vector<std::pair<std::string, std::string>> launcher_log;
};

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

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  Worker(boost::asio::io_context& io, WorkerOptions options, std::weak_ptr<WorkerListener> listener);
  ~Worker();

  int id() const { return options_.id; }
  const std::string& name() const { return options_.name; }

  // Spawns the first process.
  void Start();
  // Sends a batch. Only valid after OnWorkerIdle and before the next
  // dispatch; a batch that cannot be sent comes back via OnBatchReturned.
  void Dispatch(std::vector<JobPtr> batch);
  // Stops after the current batch; no restart.
  void Retire();
  // Kills the process now (shutdown deadline passed); no restart.
  void Kill();
  // Changes the intra-op thread count now (if loaded) and for later restarts.
  void SetThreads(int intra_op_threads, std::vector<int> cpu_list);

  WorkerSnapshot Snapshot() const;
  WorkerState state() const;
  // Starting, ready or busy: a process that exists and is meant to serve.
  bool IsLive() const;
  // Will serve eventually (live or waiting to restart).
  bool IsActive() const;
  // Loaded and serving (ready or busy).
  bool IsLoaded() const;
  // The model's KServe v2 metadata its process reported at load ("" before).
  std::string signature_json() const;

 private:
  using Socket = boost::asio::local::stream_protocol::socket;
  using Pipe = boost::asio::posix::stream_descriptor;

  void SpawnProcess();                 // on strand
  void ReadHeader(uint64_t generation);
  void ReadPayload(uint64_t generation, uint32_t length);
  void OnMessage(uint64_t generation, ipc::Envelope envelope);
  void Send(ipc::Envelope envelope);
  void WriteNext();
  void ReadLog(uint64_t generation, Pipe* pipe, std::shared_ptr<boost::asio::streambuf> buffer, bool is_stderr);
  void ArmTimer(std::chrono::milliseconds after, uint64_t generation, const char* reason);
  // The process failed: answer the batch, schedule a restart or give up.
  void OnProcessFailure(uint64_t generation, const std::string& reason);
  void OnProcessExit(uint64_t generation, int wait_status);
  void FinishFailure(const std::string& reason, bool oom_killed);
  void CloseChannels();
  void SetState(WorkerState state);    // caller holds mu_
  void RecordHandlerMetrics(const google::protobuf::RepeatedPtrField<ipc::HandlerMetric>& metrics);
  void NotifyStateChanged();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  WorkerOptions options_;
  std::weak_ptr<WorkerListener> listener_;

  // Everything below is touched only on strand_, except the fields marked
  // "guarded by mu_", which Snapshot() reads from other threads.
  mutable std::mutex mu_;
  WorkerState state_ = WorkerState::kStarting;  // guarded by mu_
  pid_t pid_ = 0;                                // guarded by mu_
  std::chrono::system_clock::time_point start_time_;  // guarded by mu_
  int restarts_ = 0;                             // guarded by mu_
  int intra_op_threads_ = 1;                     // guarded by mu_
  std::vector<int> cpu_list_;                    // guarded by mu_
  std::string signature_json_;                   // guarded by mu_

  uint64_t generation_ = 0;  // incremented per process; stale callbacks compare
  std::unique_ptr<Socket> socket_;
  std::unique_ptr<Pipe> stdout_pipe_;
  std::unique_ptr<Pipe> stderr_pipe_;
  std::vector<char> read_buffer_;
  std::deque<std::string> write_queue_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer restart_timer_;
  RestartBackoff backoff_;
  std::vector<JobPtr> in_flight_;
  uint64_t next_batch_id_ = 1;
  SteadyTime batch_sent_;
  SteadyTime spawned_at_;  // WorkerLoadTime counts from here
  bool loaded_once_ = false;
  bool load_reported_ = true;         // false until this process's load result is known
  bool retiring_ = false;
  bool killed_by_us_ = false;
  bool failing_ = false;              // failure seen, waiting for the exit status
  std::string failure_reason_;
  std::optional<int> exit_status_;
};

}  // namespace hearth::core
