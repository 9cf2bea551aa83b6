#pragma once
// One registered model version: its settings, its request queue and batcher,
// and its worker slots. The core's unit of serving.
//
// Parameters and behaviour
//   Submit()   queues a request; answers 503 at once when the queue is full
//              or no worker is active (none configured, or all failed).
//   Batches    go to whichever worker is idle (see Batcher for the timing).
//   Scale()    starts or retires workers to reach [min, max]; a retired
//              worker finishes its batch first. `done` fires when the workers
//              it started have loaded (synchronous scaling), or at once.
//   Shutdown() (unregister) stops taking requests, lets queued and in-flight
//              requests finish, stops the workers and deletes the extracted
//              archive; past the deadline it kills the workers and answers
//              408.
// Thread-safe; no method blocks. Worker callbacks arrive on worker strands.

#include <boost/asio.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/thread_annotations.h"
#include "archive/worker_runtime.h"
#include "common/json.h"
#include "core/batcher.h"
#include "core/metrics.h"
#include "core/inference_types.h"
#include "core/worker.h"
#include "ipc/model_signature.h"
#include "launcher/launcher.h"

namespace hearth::core {

struct ModelSettings {
  std::string name;
  std::string version = "1.0";
  std::string url;  // as given at registration
  std::string runtime = "python";
  std::string handler;
  std::string serialized_file;
  std::string model_file;  // manifest modelFile: an eager model's definition ("" when none)
  archive::WorkerRuntime worker_runtime = archive::WorkerRuntime::kNative;  // which worker program serves it
  std::string manifest_json;  // the manifest as the Python handler's context.manifest sees it
  std::filesystem::path model_dir;
  std::filesystem::path extracted_dir;  // deleted at unregister; empty for a directory in place
  std::filesystem::path downloaded_file;  // a URL download in the store, deleted at unregister
  int batch_size = 1;
  int max_batch_delay_ms = 100;
  BatchClosing batch_closing = BatchClosing::kAfterDelay;
  int response_timeout_s = 120;
  int startup_timeout_s = 120;
  int job_queue_size = 100;
  int max_retry_timeout_s = 300;
  int client_timeout_ms = 0;
  int min_workers = 0;
  int max_workers = 0;
  bool loaded_at_startup = false;
  bool ipex_enable = false;
  std::string workflow;  // the workflow this model is a node of ("" = none)
  // model-config.yaml `envvars:` (NAME=value), added to its workers' environment.
  std::vector<std::string> env;
  // The model's own intra-op thread count (OMP_NUM_THREADS, else
  // MKL_NUM_THREADS, from `envvars:` or the server's environment); 0 = none:
  // the server's budget applies. `own_threads_from` says where it came from.
  int own_threads = 0;
  std::string own_threads_from;
  // install_py_dep_per_model: the model's own virtual environment (deleted
  // at unregister) and its interpreter, which runs the Python worker.
  std::filesystem::path venv_dir;
  std::string python_executable;
  Json yaml = Json::object();  // model-config.yaml
};

// What every worker of every model shares; owned by the ModelManager.
struct WorkerLaunchContext {
  std::vector<std::string> native_command;  // {hearth-worker}
  std::vector<std::string> python_command;  // {python3, -m, hearth_worker}
  std::vector<std::string> env;             // both workers' environment
  std::vector<std::string> python_env;      // added for the Python worker (PYTHONPATH)
  std::string metrics_config;               // absolute path ("" = none), for handler metric caches
  int64_t max_response_size = 6553500;
  std::function<int()> next_worker_id;
  // Called (outside any model lock) when a model's set of active workers
  // changed, so the manager can rebalance threads.
  std::function<void()> on_workers_changed;
  // The CPU launcher (cpu_launcher_enable); null when workers are not pinned.
  const launcher::Launcher* launcher = nullptr;
  Metrics* metrics = nullptr;  // batch-size histogram; may be null
  Timers* timers = nullptr;    // required: every wait of the core (batch delay, timeouts, back-off)
  // Makes a worker slot (unit tests pass fakes); empty: a real Worker.
  std::function<std::shared_ptr<WorkerSlot>(WorkerOptions, std::weak_ptr<WorkerListener>)> make_worker;
};

// What describe shows of a model version; TorchServe's describe JSON is
// made from it at the transport edge (frontend/common/describe_json.h).
struct ModelDescription {
  ModelSettings settings;
  std::vector<WorkerSnapshot> workers;  // in start order
  int queue_remaining_capacity = 0;
  int queue_pending = 0;
};

class ModelVersion : public WorkerListener, public std::enable_shared_from_this<ModelVersion> {
 public:
  ModelVersion(boost::asio::io_context& io, ModelSettings settings, const WorkerLaunchContext* launch);
  ~ModelVersion() override;

  // Fixed at registration (the rest of the settings change: SettingsSnapshot).
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& url() const { return url_; }
  const std::string& handler() const { return handler_; }
  const std::string& workflow() const { return workflow_; }
  int own_threads() const { return own_threads_; }
  ModelSettings SettingsSnapshot() const;

  // Takes ownership of the job; never blocks; answers it exactly once.
  void Submit(JobPtr job);
  void Scale(int min_workers, int max_workers, std::function<void(Status)> done);
  void Shutdown(std::chrono::seconds deadline, std::function<void(Status)> done);
  void SetThreadsPerWorker(int threads);

  ModelDescription Describe() const;
  // Worker snapshots (for metrics).
  std::vector<WorkerSnapshot> WorkerSnapshots() const;
  int ActiveWorkerCount() const;  // live or restarting
  int LiveWorkerCount() const;    // a process exists
  // TorchServe's ping rule: at least minWorkers live workers.
  bool IsHealthy() const;
  // At least minWorkers loaded (ready or busy) workers; for KServe's model
  // readiness at least one too.
  enum class Readiness { kMinWorkersLoaded, kMinWorkersAndOneLoaded };
  bool IsReady(Readiness rule) const;
  // The v2 metadata the last loaded worker reported (see Handler::Signature);
  // null until a worker has loaded.
  std::optional<ipc::ModelSignature> Signature() const;
  int QueueSize() const;

  // WorkerListener
  void OnWorkerIdle(const std::shared_ptr<WorkerSlot>& worker) override;
  void OnWorkerLoadResult(const std::shared_ptr<WorkerSlot>& worker, const Status& status) override;
  void OnBatchReturned(const std::shared_ptr<WorkerSlot>& worker, std::vector<JobPtr> batch) override;
  void OnWorkerStateChanged(const std::shared_ptr<WorkerSlot>& worker) override;

 private:
  struct Waiter {
    std::vector<int> pending_ids;
    std::function<void(Status)> done;
  };
  using Completion = std::function<void()>;

  // A batch taken for an idle worker, given to it once mu_ is released: a
  // worker sends it at once when it can, from the calling thread.
  struct Handout {
    std::shared_ptr<WorkerSlot> worker;
    std::vector<JobPtr> batch;
  };
  // Takes batches while workers are idle; arms the batch timer. Caller holds
  // mu_ and passes the result to HandOut after unlocking.
  [[nodiscard]] std::vector<Handout> TakeBatchesLocked(SteadyTime now) HEARTH_REQUIRES(mu_);
  static void HandOut(std::vector<Handout> handouts);
  void ArmBatchTimerLocked(SteadyTime when) HEARTH_REQUIRES(mu_);
  // Answers every queued job with `status`, outside the lock (returned).
  std::vector<JobPtr> DrainQueueLocked() HEARTH_REQUIRES(mu_);
  // Shutdown progress; caller holds mu_; returns work to run after unlocking.
  void CheckShutdownLocked(std::vector<Completion>& after) HEARTH_REQUIRES(mu_);
  // slot/count place the worker when the CPU launcher is on.
  std::shared_ptr<WorkerSlot> MakeWorkerLocked(int slot, int count) HEARTH_REQUIRES(mu_);
  Status NoWorkerStatus() const;  // names the model only: needs no lock

  boost::asio::io_context& io_;
  const WorkerLaunchContext* launch_;
  const std::string name_, version_, url_, handler_, workflow_;
  const int own_threads_;
  mutable Mutex mu_;
  ModelSettings settings_ HEARTH_GUARDED_BY(mu_);  // workers, batching fields change
  Batcher<JobPtr> batcher_ HEARTH_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<WorkerSlot>> workers_ HEARTH_GUARDED_BY(mu_);  // in start order
  std::vector<std::shared_ptr<WorkerSlot>> retiring_ HEARTH_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<WorkerSlot>> idle_ HEARTH_GUARDED_BY(mu_);
  std::vector<Waiter> waiters_ HEARTH_GUARDED_BY(mu_);
  int threads_per_worker_ HEARTH_GUARDED_BY(mu_) = 1;
  Timers& timers_;
  Timers::Id batch_timer_ HEARTH_GUARDED_BY(mu_) = 0;
  std::optional<SteadyTime> batch_timer_due_ HEARTH_GUARDED_BY(mu_);
  bool shutting_down_ HEARTH_GUARDED_BY(mu_) = false;
  std::function<void(Status)> shutdown_done_ HEARTH_GUARDED_BY(mu_);
  Timers::Id shutdown_timer_ HEARTH_GUARDED_BY(mu_) = 0;
  std::optional<ipc::ModelSignature> signature_ HEARTH_GUARDED_BY(mu_);
  ModelMetrics* metrics_ = nullptr;  // set at construction when launch_->metrics
};

}  // namespace hearth::core
