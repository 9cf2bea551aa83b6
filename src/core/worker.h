#pragma once
// One worker slot of a model version backed by a real process: a
// hearth-worker (C++) or the Python worker, which loads the model and runs
// batches, restarted with back-off when it dies. The slot keeps its id
// (TorchServe's "port", never reused) across restarts.
//
// Life of a slot (states and transitions: core/worker_slot.h)
//   Start() spawns the process (core/worker_process.h), which says Hello;
//   the slot sends LoadModel and waits up to startup_timeout_s for
//   LoadModelResult. Once loaded it is READY and tells its listener it is
//   idle; the listener hands it one batch at a time (Dispatch); each batch
//   must be answered within response_timeout_s by a PredictResult carrying
//   the batch's id, after any number of PredictPartial (streamed parts,
//   handed to each request's on_partial in order; each part restarts the
//   response timeout). When it is, the slot becomes READY and tells the
//   listener first, so the next batch is on its way before this batch's
//   answers are handed back (on an io thread, off the slot's strand: the
//   frontends format them there).
//   If the process exits, breaks the protocol (a wrong batch id, an
//   unexpected message) or times out, the batch it held is answered with
//   500 "Worker died." (507 when the kernel killed it, which is what the OOM
//   killer does) and the slot restarts it after the back-off delay, until it
//   has been failing for max_retry_timeout_s; then it is FAILED for good.
//   Retire() lets the current batch finish, then stops the process; the slot
//   ends STOPPED.
//
// Threading: every method is thread-safe and non-blocking; work happens on
// the slot's strand. Listener callbacks run on that strand, never under the
// slot's lock, so the listener may call back into the slot. Time and timers
// come from WorkerOptions::timers.

#include <sys/types.h>

#include <boost/asio.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/thread_annotations.h"
#include "common/status.h"
#include "common/timers.h"
#include "core/backoff.h"
#include "core/inference_types.h"
#include "core/metrics.h"
#include "core/worker_process.h"
#include "core/worker_slot.h"
#include "ipc/framing.h"
#include "worker.pb.h"

namespace hearth::core {

struct WorkerOptions {
  int id = 9000;
  std::string name;  // W-<id>-<model>_<version>
  // The worker program and its leading arguments: {hearth-worker} or
  // {python3, -m, hearth_worker}; "--ipc-fd 3 --name <name>" follow.
  std::vector<std::string> command;
  std::vector<std::string> env;  // complete environment for the process
  ipc::LoadModel load;           // what to load (intra_op_threads filled per start)
  int startup_timeout_s = 120;
  int response_timeout_s = 120;
  int max_retry_timeout_s = 300;
  int intra_op_threads = 1;
  int64_t max_response_size = 6553500;
  std::vector<int> cpu_list;        // cores to pin to (empty: none)
  bool pinned = false;              // placed by the CPU launcher: thread count fixed
  ModelMetrics* metrics = nullptr;  // latency histograms; may be null
  Timers* timers = nullptr;         // required; outlives the slot
  ProcessHost* processes = nullptr; // null: RealProcessHost(); outlives the slot
  // CPU launcher lines (level, text) written to model_log.log before each spawn.
  std::vector<std::pair<std::string, std::string>> launcher_log;
};

class Worker final : public WorkerSlot, public std::enable_shared_from_this<Worker> {
 public:
  Worker(boost::asio::io_context& io, WorkerOptions options, std::weak_ptr<WorkerListener> listener);
  ~Worker() override;

  int id() const override { return options_.id; }
  const std::string& name() const override { return options_.name; }
  void Start() override;
  void Dispatch(std::vector<JobPtr> batch) override;
  void Retire() override;
  void Kill() override;
  void SetThreads(int intra_op_threads, std::vector<int> cpu_list) override;
  WorkerSnapshot Snapshot() const override;
  WorkerState state() const override;
  std::string signature_json() const override;

 private:
  using Socket = boost::asio::local::stream_protocol::socket;
  using Pipe = boost::asio::posix::stream_descriptor;
  // Why the one protocol timer is armed.
  enum class TimerReason {
    kStartup,    // Hello + LoadModelResult within startup_timeout_s
    kResponse,   // PredictResult within response_timeout_s
    kStop,       // a stopping process must exit within its grace period
    kExitGrace,  // the channel broke: wait briefly for the exit status, then kill
  };

  // All on strand_.
  void SpawnProcess();
  // Reads whatever the socket has and handles every complete frame in it.
  void ReadFrames(uint64_t generation);
  void OnMessage(uint64_t generation, ipc::Envelope envelope);
  void OnLoadResult(uint64_t generation, const ipc::LoadModelResult& result);
  void OnPredictResult(uint64_t generation, ipc::PredictResult& result);
  void OnPredictPartial(uint64_t generation, ipc::PredictPartial& partial);
  // True when `batch_id` is the batch in flight; else a protocol failure
  // ("<what> to batch N while ...") and false.
  bool AnswersBatchInFlight(uint64_t generation, uint64_t batch_id, const char* what);
  void Send(ipc::Envelope envelope);
  void SendShutdown();
  void WriteNext();  // every queued frame in one gathered write
  enum class LogStream { kStdout, kStderr };
  void ReadLog(uint64_t generation, Pipe* pipe, std::shared_ptr<boost::asio::streambuf> buffer, LogStream stream);
  void ArmTimer(std::chrono::milliseconds after, TimerReason reason);
  void CancelTimer();
  void OnTimer(uint64_t generation, uint64_t sequence);
  void KillProcess();
  // The process failed: answer the batch, schedule a restart or give up.
  void OnProcessFailure(uint64_t generation, const std::string& reason);
  void OnProcessExit(uint64_t generation, int wait_status);
  enum class Death { kFailed, kKilledByKernel };  // the kernel's SIGKILL is the OOM killer's: 507
  void FinishFailure(const std::string& reason, Death death);
  void CloseChannels();
  void SetState(WorkerState state) HEARTH_REQUIRES(mu_);  // checks IsLegalTransition
  void SetStateAndNotify(WorkerState state);
  void RecordHandlerMetrics(const google::protobuf::RepeatedPtrField<ipc::HandlerMetric>& metrics);
  void NotifyStateChanged();
  bool IsFinal() const;  // STOPPED or FAILED
  // RESTART_WAIT -> STOPPED (no restart); false in any other state.
  bool StopIfWaitingToRestart();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  WorkerOptions options_;
  Timers& timers_;
  ProcessHost& processes_;
  std::weak_ptr<WorkerListener> listener_;

  // Everything below is touched only on strand_, except the fields marked
  // "guarded by mu_", which Snapshot() and state() read from other threads.
  mutable Mutex mu_;
  WorkerState state_ HEARTH_GUARDED_BY(mu_) = WorkerState::kStarting;
  pid_t pid_ HEARTH_GUARDED_BY(mu_) = 0;
  std::chrono::system_clock::time_point start_time_ HEARTH_GUARDED_BY(mu_);
  int restarts_ HEARTH_GUARDED_BY(mu_) = 0;
  int intra_op_threads_ HEARTH_GUARDED_BY(mu_) = 1;
  std::vector<int> cpu_list_ HEARTH_GUARDED_BY(mu_);
  std::string signature_json_ HEARTH_GUARDED_BY(mu_);

  uint64_t generation_ = 0;  // incremented per process; stale callbacks compare
  std::unique_ptr<Socket> socket_;
  std::unique_ptr<Pipe> stdout_pipe_;
  std::unique_ptr<Pipe> stderr_pipe_;
  ipc::FrameBuffer incoming_;
  std::deque<std::string> write_queue_;
  size_t frames_in_write_ = 0;  // the front of write_queue_ being written
  Timers::Id timer_id_ = 0;
  uint64_t timer_sequence_ = 0;  // a fired callback whose sequence is not current is stale
  TimerReason timer_reason_ = TimerReason::kStartup;
  Timers::Id restart_timer_id_ = 0;
  RestartBackoff backoff_;
  std::vector<JobPtr> in_flight_;
  uint64_t in_flight_batch_id_ = 0;  // the batch in_flight_ holds (0: none)
  uint64_t next_batch_id_ = 1;
  SteadyTime batch_sent_;
  SteadyTime spawned_at_;  // WorkerLoadTime counts from here
  bool load_reported_ = true;  // false until this process's load result is known
  bool retiring_ = false;
  bool killed_by_us_ = false;
  bool failing_ = false;  // failure seen, waiting for the exit status
  std::string failure_reason_;
  std::optional<int> exit_status_;
};

}  // namespace hearth::core
