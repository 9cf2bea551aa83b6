#pragma once
// The core facade: the model registry and every operation the management and
// inference APIs need. Frontends translate HTTP (or gRPC) into these calls
// and the replies back; nothing here knows about sockets.
//
// Threading: all methods are thread-safe and return without blocking on
// workers or disks; slow steps (extracting an archive) run on a small
// blocking pool and complete through the callback, which may run on any
// thread and must not block.

#include <boost/asio.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/thread_annotations.h"
#include "common/json.h"
#include "common/status.h"
#include "config/server_config.h"
#include "core/inference_types.h"
#include "core/model_version.h"
#include "core/registration.h"

namespace hearth::core {

// A management reply: HTTP-ish status (200, 202, 206) and a message for
// {"status": ...}.
struct ManagementReply {
  int http_status = 200;
  std::string message;
};
using ManagementCallback = std::function<void(StatusOr<ManagementReply>)>;


// What the KServe APIs need of a model version.
struct ModelInfo {
  std::string name;
  std::string version;                // the version asked for (default resolved)
  std::vector<std::string> versions;  // every registered version
  std::string handler;
  bool ready = false;                 // ModelVersion::IsReady(kMinWorkersAndOneLoaded)
  std::optional<ipc::ModelSignature> signature;  // ModelVersion::Signature (none before a load)
};

struct ScaleParams {
  int min_worker = 1;
  std::optional<int> max_worker;
  bool synchronous = false;
};

// What a test may replace: the timers (FakeTimers) and the worker slots
// (fakes, no processes). Defaults: asio timers on the manager's io_context,
// real workers.
struct ModelManagerDependencies {
  Timers* timers = nullptr;
  std::function<std::shared_ptr<WorkerSlot>(WorkerOptions, std::weak_ptr<WorkerListener>)> make_worker;
};

class ModelManager {
 public:
  // `metrics` (may be null) and `dependencies.timers` outlive the manager.
  ModelManager(boost::asio::io_context& io, const config::ServerConfig& config, Metrics* metrics = nullptr,
               ModelManagerDependencies dependencies = ModelManagerDependencies());
  ~ModelManager();

  // Management API.
  void Register(const RegisterParams& params, ManagementCallback done);
  void Scale(const std::string& name, const std::string& version, const ScaleParams& params,
             ManagementCallback done);
  // Who asks to unregister: a workflow's node model is removed only by its
  // workflow; a user's request for one answers 403 naming the workflow.
  enum class Requester { kUser, kWorkflow };
  void Unregister(const std::string& name, const std::string& version, ManagementCallback done,
                  Requester by = Requester::kUser);
  StatusOr<ManagementReply> SetDefault(const std::string& name, const std::string& version);
  // version "" = default, "all" = every version.
  StatusOr<std::vector<ModelDescription>> Describe(const std::string& name, const std::string& version) const;
  Json List(int limit, int next_page_token) const;
  // version "" = default. NotFound / VersionNotFound as Describe.
  StatusOr<ModelInfo> Info(const std::string& name, const std::string& version) const;
  // Every model name, sorted.
  std::vector<std::string> ModelNames() const;
  // KServe's server readiness: every model's default version has its
  // minimum of loaded workers.
  bool AllReady() const;

  // Inference API. version "" = default.
  void Predict(const std::string& name, const std::string& version, InferenceRequest request,
               ResponseCallback done);

  // Prometheus text for queue depth, live workers, worker restarts, RSS and
  // CPU time, per model version (and worker). `names` filters families.
  std::string RenderRuntimeMetrics(const std::vector<std::string>& names) const;

  // TorchServe's /ping: every model's default version has its minimum of
  // live workers.
  bool Healthy() const;

  // Loads load_models / --models (asynchronously; failures are logged);
  // `done` runs once every registration has finished.
  void LoadStartupModels(std::function<void()> done);
  // Every model version's settings, in TorchServe's model_snapshot form:
  // {"<m>": {"<v>": {"defaultVersion": true, "marName": ..., "minWorkers": ...}}}
  Json ExportSnapshot() const;
  // Checks that every archive of a model_snapshot is in the model store;
  // the error names the missing one.
  Status CheckSnapshot(const Json& snapshot) const;
  // Registers every version of a model_snapshot with its saved settings and
  // default version (asynchronously; failures are logged).
  void RestoreSnapshot(const Json& snapshot, std::function<void()> done);
  // Unregisters everything; `done` when all workers stopped or the deadline passed.
  void ShutdownAll(std::chrono::seconds deadline, std::function<void()> done);

 private:
  struct ModelEntry {
    std::map<std::string, std::shared_ptr<ModelVersion>> versions;
    std::string default_version;
  };
  struct StartupOverrides;

  void RegisterResolved(const RegisterParams& params, bool at_startup, const Json& startup_json,
                        ManagementCallback done);
  // version "" = the default. NotFound / VersionNotFound with TorchServe's messages.
  StatusOr<std::shared_ptr<ModelVersion>> Lookup(const std::string& name, const std::string& version) const
      HEARTH_EXCLUDES(mu_);
  StatusOr<std::shared_ptr<ModelVersion>> LookupLocked(const std::string& name, const std::string& version) const
      HEARTH_REQUIRES_SHARED(mu_);
  void RemoveVersion(const std::string& name, const std::string& version);
  // Blocking: a Python model's requirements.txt into its own virtual
  // environment when install_py_dep_per_model is on (sets venv_dir and
  // python_executable); a note in the log when it is off.
  Status PrepareRequirements(const ArchiveForRegistration& archive, ModelSettings& settings);
  void RebalanceThreads();

  boost::asio::io_context& io_;
  const config::ServerConfig& config_;
  boost::asio::thread_pool blocking_pool_;
  std::unique_ptr<Timers> own_timers_;  // when the dependencies named none
  std::unique_ptr<launcher::Launcher> launcher_;  // null unless cpu_launcher_enable
  WorkerLaunchContext launch_;
  std::atomic<int> next_worker_id_;
  int available_cpus_ = 1;
  std::vector<std::string> server_env_;  // the server's environment at start

  mutable SharedMutex mu_;
  std::map<std::string, ModelEntry> models_ HEARTH_GUARDED_BY(mu_);
  Mutex rebalance_mu_;
  int threads_per_worker_ HEARTH_GUARDED_BY(rebalance_mu_) = -1;
};


}  // namespace hearth::core
