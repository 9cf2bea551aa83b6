#include "core/model_manager.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "archive/archive_reader.h"
#include "common/files.h"
#include "common/heap.h"
#include "common/proc_stats.h"
#include "common/logging.h"
#include "common/strings.h"
#include "config/model_config.h"
#include "core/asio_timers.h"
#include "core/downloader.h"
#include "core/registration.h"
#include "core/process.h"
#include "common/ids.h"

namespace hearth::core {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string WorkerBinary() {
  if (const char* env = std::getenv("HEARTH_WORKER_BIN"); env && *env) return env;
  return ExecutableDir() + "/hearth-worker";
}

// The Python worker: config.properties `python` (TorchServe's key for the
// interpreter), else HEARTH_PYTHON, else Debian's /usr/bin/python3, whose
// python3-torch the worker imports.
std::vector<std::string> PythonWorkerCommand(const config::ServerConfig& config) {
  std::string python = "/usr/bin/python3";
  if (const char* env = std::getenv("HEARTH_PYTHON"); env && *env) python = env;
  if (auto it = config.properties.find("python"); it != config.properties.end() && !it->second.empty()) {
    python = it->second;
  }
  return {python, "-m", "hearth_worker"};
}

// Where hearth_worker and ts live: HEARTH_PYTHON_PATH, else build/python
// beside build/bin.
std::string PythonPackageDir() {
  if (const char* env = std::getenv("HEARTH_PYTHON_PATH"); env && *env) return env;
  return fs::weakly_canonical(fs::path(ExecutableDir()) / ".." / "python").string();
}

// Runs `done` after `count` calls of the returned function (at once for 0).
std::function<void()> CountDown(size_t count, std::function<void()> done) {
  if (count == 0) {
    if (done) done();
    return [] {};
  }
  auto left = std::make_shared<std::atomic<size_t>>(count);
  auto fn = std::make_shared<std::function<void()>>(std::move(done));
  return [left, fn] {
    if (--*left == 0 && *fn) (*fn)();
  };
}
}  // namespace

ModelManager::ModelManager(asio::io_context& io, const config::ServerConfig& config, Metrics* metrics,
                           ModelManagerDependencies dependencies)
    : io_(io), config_(config), blocking_pool_(2), next_worker_id_(config.initial_worker_port) {
  launch_.metrics = metrics;
  if (!dependencies.timers) {
    own_timers_ = std::make_unique<AsioTimers>(io);
    dependencies.timers = own_timers_.get();
  }
  launch_.timers = dependencies.timers;
  launch_.make_worker = std::move(dependencies.make_worker);
  available_cpus_ = AvailableCpuCount();
  launch_.native_command = {WorkerBinary()};
  launch_.python_command = PythonWorkerCommand(config);
  launch_.env = CurrentEnvironmentList();
  server_env_ = launch_.env;
  // Both workers keep large blocks in the heap (common/heap.h: page faults
  // on every request otherwise); the user's own MALLOC_* settings, or an
  // allocator preloaded by the CPU launcher, win.
  for (auto& entry : HeapEnvironment()) launch_.env.push_back(std::move(entry));
  {
    const std::string package_dir = PythonPackageDir();
    std::string python_path = package_dir;
    if (const char* existing = std::getenv("PYTHONPATH"); existing && *existing) python_path += ":" + std::string(existing);
    launch_.python_env = {"PYTHONPATH=" + python_path, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"};
    std::error_code ec;
    if (!fs::exists(fs::path(package_dir) / "hearth_worker" / "worker_pb2.py", ec)) {
      HLOG_WARN("Python worker package not found in {} (set HEARTH_PYTHON_PATH): models with Python handlers or "
                "eager model files will fail to start",
                package_dir);
    }
  }
  if (!config.metrics_config.empty()) {
    std::error_code ec;
    launch_.metrics_config = fs::absolute(config.metrics_config, ec).string();
  }
  launch_.env.push_back("TS_IPEX_ENABLE=" + std::string(config.ipex_enable ? "true" : "false"));
  launch_.max_response_size = config.max_response_size;
  launch_.next_worker_id = [this] { return next_worker_id_++; };
  launch_.on_workers_changed = [this] { RebalanceThreads(); };
  if (config.cpu_launcher_enable) {
    launcher::PlanOptions plan_options;
    auto leftover = config.properties.find("hearth_cpu_leftover");
    plan_options.spread_leftover = leftover != config.properties.end() && leftover->second == "spread";
    auto created = launcher::Launcher::Create(config.cpu_launcher_args, config::CurrentEnvironment(), plan_options);
    if (created.ok()) {
      launcher_ = std::move(*created);
      launch_.launcher = launcher_.get();
      for (const auto& w : launcher_->warnings()) HLOG_WARN("{}", w);
      HLOG_INFO("CPU launcher on: workers get disjoint core sets ({} CPUs allowed)",
                launcher_->topology().allowed.size());
    } else {
      HLOG_WARN("CPU launcher is not available ({}). Proceeding without worker core pinning.",
                created.status().message());
    }
  }
}

ModelManager::~ModelManager() { blocking_pool_.join(); }

void ModelManager::Register(const RegisterParams& params, ManagementCallback done) {
  RegisterResolved(params, false, Json::object(), std::move(done));
}

void ModelManager::RegisterResolved(const RegisterParams& params, bool at_startup, const Json& models_json,
                                    ManagementCallback done) {
  if (Trim(params.url).empty()) {
    // Present but empty: TorchServe looks for "" in the store and answers 404.
    done(NotFound("Model not found at: \"" + params.url + "\" (an empty url names no archive)"));
    return;
  }
  if (!params.runtime.empty() && !archive::IsValidRuntime(params.runtime)) {
    done(InvalidArgument("Invalid RuntimeType value: " + params.runtime));
    return;
  }
  asio::post(blocking_pool_, [this, params, at_startup, models_json, done = std::move(done)]() mutable {
    const std::string& url = params.url;
    auto archive = [&]() -> StatusOr<ArchiveForRegistration> {
      if (!params.prepared) return FetchAndOpenArchive(url, config_);
      ArchiveForRegistration prepared;  // nothing extracted or downloaded: Discard() keeps its files
      prepared.url = url;
      prepared.opened.model_dir = params.prepared->model_dir;
      prepared.opened.manifest = params.prepared->manifest;
      return prepared;
    }();
    if (!archive.ok()) {
      done(archive.status());
      return;
    }
    auto yaml = ReadModelYaml(url, archive->opened);
    if (!yaml.ok()) {
      archive->Discard();
      done(yaml.status());
      return;
    }
    for (const auto& w : yaml->warnings) HLOG_WARN("{}", w);
    RegistrationInputs inputs{params,     url,     *archive,        *yaml,        models_json,
                              at_startup, config_, available_cpus_, &server_env_};
    auto plan = PlanRegistration(inputs);
    if (!plan.ok()) {
      archive->Discard();
      done(plan.status());
      return;
    }
    HLOG_INFO("model {}: {} worker ({})", url, archive::WorkerRuntimeName(plan->settings.worker_runtime),
              plan->runtime_reason);
    if (Status st = PrepareRequirements(*archive, plan->settings); !st.ok()) {
      archive->Discard();
      done(st);
      return;
    }
    const ModelSettings& s = plan->settings;
    const int min_w = plan->min_workers, max_w = plan->max_workers;
    auto cleanup = [&archive] { archive->Discard(); };

    std::shared_ptr<ModelVersion> mv;
    {
      WriterLock lock(mu_);
      ModelEntry& entry = models_[s.name];
      if (entry.versions.count(s.version)) {
        lock.Unlock();
        cleanup();
        done(AlreadyExists("Model version " + s.version + " is already registered for model " + s.name));
        return;
      }
      mv = std::make_shared<ModelVersion>(io_, s, &launch_);
      entry.versions[s.version] = mv;
      if (entry.default_version.empty()) entry.default_version = s.version;
    }
    HLOG_INFO("registered model {} version {} from {} (handler {}, batch size {}, max batch delay {} ms, "
              "response timeout {} s, queue {})",
              s.name, s.version, url, s.handler, s.batch_size, s.max_batch_delay_ms, s.response_timeout_s,
              s.job_queue_size);
    const std::string name = s.name, version = s.version;
    if (min_w == 0) {
      mv->Scale(0, max_w, nullptr);
      done(ManagementReply{200, "Model \"" + name + "\" Version: " + version +
                                    " registered with 0 initial workers. Use scale workers API to add workers for "
                                    "the model."});
      return;
    }
    if (!params.synchronous) {
      mv->Scale(min_w, max_w, nullptr);
      done(ManagementReply{202, "Processing worker updates..."});
      return;
    }
    mv->Scale(min_w, max_w, [this, name, version, min_w, done](Status st) {
      if (st.ok()) {
        done(ManagementReply{200, "Model \"" + name + "\" Version: " + version + " registered with " +
                                      std::to_string(min_w) + " initial workers"});
        return;
      }
      HLOG_ERROR("model {} version {}: {}", name, version, st.message());
      RemoveVersion(name, version);
      done(Status(st.code() == StatusCode::kResourceExhausted ? StatusCode::kResourceExhausted
                                                                : StatusCode::kInternal,
                  "Failed to start workers for model " + name + " version: " + version + ": " + st.message()));
    });
  });
}

void ModelManager::RemoveVersion(const std::string& name, const std::string& version) {
  std::shared_ptr<ModelVersion> mv;
  {
    WriterLock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return;
    auto v = it->second.versions.find(version);
    if (v == it->second.versions.end()) return;
    mv = v->second;
    it->second.versions.erase(v);
    if (it->second.versions.empty()) {
      models_.erase(it);
    } else if (it->second.default_version == version) {
      it->second.default_version = it->second.versions.begin()->first;
    }
  }
  mv->Shutdown(std::chrono::seconds(config_.unregister_model_timeout_s), [](Status) {});
  RebalanceThreads();
}

StatusOr<std::shared_ptr<ModelVersion>> ModelManager::LookupLocked(const std::string& name,
                                                                   const std::string& version) const {
  auto it = models_.find(name);
  if (it == models_.end()) return NotFound("Model not found: " + name);
  const std::string& v = version.empty() ? it->second.default_version : version;
  auto found = it->second.versions.find(v);
  if (found == it->second.versions.end()) {
    return Status(StatusCode::kVersionNotFound, "Model version: " + v + " does not exist for model: " + name);
  }
  return found->second;
}

StatusOr<std::shared_ptr<ModelVersion>> ModelManager::Lookup(const std::string& name,
                                                             const std::string& version) const {
  ReaderLock lock(mu_);
  return LookupLocked(name, version);
}

void ModelManager::Scale(const std::string& name, const std::string& version, const ScaleParams& params,
                         ManagementCallback done) {
  auto mv = Lookup(name, version);
  if (!mv.ok()) {
    done(mv.status());
    return;
  }
  if (params.min_worker < 0) {
    // TorchServe answers 500 (gRPC INTERNAL), whatever the transport.
    done(Internal("Failed to start workers for model " + name + ": min_worker must be >= 0, got " +
                  std::to_string(params.min_worker)));
    return;
  }
  int min_w = params.min_worker;
  int max_w = params.max_worker ? *params.max_worker : min_w;
  if (max_w < min_w) {
    done(InvalidArgument("max_worker cannot be less than min_worker."));
    return;
  }
  std::string v = (*mv)->version();
  std::string what = "model: " + name + (version.empty() ? "" : ", version: " + v);
  if (!params.synchronous) {
    (*mv)->Scale(min_w, max_w, nullptr);
    done(ManagementReply{202, "Processing worker updates..."});
    return;
  }
  (*mv)->Scale(min_w, max_w, [done, min_w, what, name, v](Status st) {
    if (st.ok()) {
      done(ManagementReply{200, "Workers scaled to " + std::to_string(min_w) + " for " + what});
    } else {
      done(Status(st.code() == StatusCode::kResourceExhausted ? StatusCode::kResourceExhausted
                                                                : StatusCode::kInternal,
                  "Failed to start workers for model " + name + " version: " + v + ": " + st.message()));
    }
  });
}

void ModelManager::Unregister(const std::string& name, const std::string& version, ManagementCallback done,
                              Requester by) {
  std::shared_ptr<ModelVersion> mv;
  Status refused;  // answered after the registry lock is released
  {
    WriterLock lock(mu_);
    auto found = LookupLocked(name, version);
    if (!found.ok()) {
      refused = found.status();
    } else {
      ModelEntry& entry = models_.at(name);
      const std::string v = (*found)->version();
      if (!(*found)->workflow().empty() && by == Requester::kUser) {
        refused = FailedPrecondition("Model " + name + " is a node of workflow " + (*found)->workflow() +
                                     ": unregister the workflow (DELETE /workflows/" + (*found)->workflow() + ")");
      } else if (v == entry.default_version && entry.versions.size() > 1) {
        refused = FailedPrecondition("Cannot remove default version for model " + name);
      } else {
        mv = *found;
        entry.versions.erase(v);
        if (entry.versions.empty()) models_.erase(name);
      }
    }
  }
  if (!refused.ok()) {
    done(refused);
    return;
  }
  HLOG_INFO("unregistering model {} version {}", name, mv->version());
  mv->Shutdown(std::chrono::seconds(config_.unregister_model_timeout_s), [this, name, done](Status st) {
    RebalanceThreads();
    if (!st.ok()) {
      done(st);
      return;
    }
    done(ManagementReply{200, "Model \"" + name + "\" unregistered"});
  });
}

StatusOr<ManagementReply> ModelManager::SetDefault(const std::string& name, const std::string& version) {
  WriterLock lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return NotFound("Model not found: " + name);
  if (!it->second.versions.count(version)) {
    return Status(StatusCode::kVersionNotFound, "Model version " + version + " does not exist for model " + name);
  }
  it->second.default_version = version;
  return ManagementReply{200, "Default version successfully updated for model \"" + name + "\" to \"" + version + "\""};
}

StatusOr<std::vector<ModelDescription>> ModelManager::Describe(const std::string& name,
                                                               const std::string& version) const {
  std::vector<std::shared_ptr<ModelVersion>> targets;
  {
    ReaderLock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return NotFound("Model not found: " + name);
    if (version == "all") {
      for (const auto& [v, mv] : it->second.versions) targets.push_back(mv);
    } else {
      ASSIGN_OR_RETURN(auto mv, LookupLocked(name, version));
      targets.push_back(std::move(mv));
    }
  }
  std::vector<ModelDescription> out;
  for (const auto& mv : targets) out.push_back(mv->Describe());
  return out;
}

StatusOr<ModelInfo> ModelManager::Info(const std::string& name, const std::string& version) const {
  ModelInfo info;
  std::shared_ptr<ModelVersion> mv;
  {
    ReaderLock lock(mu_);
    ASSIGN_OR_RETURN(mv, LookupLocked(name, version));
    for (const auto& [ver, unused] : models_.at(name).versions) info.versions.push_back(ver);
    info.version = mv->version();
  }
  info.name = name;
  info.handler = mv->handler();
  info.ready = mv->IsReady(ModelVersion::Readiness::kMinWorkersAndOneLoaded);
  info.signature = mv->Signature();
  return info;
}

std::vector<std::string> ModelManager::ModelNames() const {
  ReaderLock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : models_) names.push_back(name);
  return names;
}

bool ModelManager::AllReady() const {
  ReaderLock lock(mu_);
  for (const auto& [name, entry] : models_) {
    auto it = entry.versions.find(entry.default_version);
    if (it != entry.versions.end() && !it->second->IsReady(ModelVersion::Readiness::kMinWorkersLoaded)) return false;
  }
  return true;
}

Json ModelManager::List(int limit, int next_page_token) const {
  if (limit < 0 || limit > 100) limit = 100;
  if (next_page_token < 0) next_page_token = 0;
  std::vector<std::pair<std::string, std::string>> rows;  // name, url
  {
    ReaderLock lock(mu_);
    for (const auto& [name, entry] : models_) {
      auto it = entry.versions.find(entry.default_version);
      if (it != entry.versions.end()) rows.emplace_back(name, it->second->url());
    }
  }
  Json out;
  int total = static_cast<int>(rows.size());
  int last = next_page_token + limit;
  if (last > total) {
    last = total;
  } else {
    out["nextPageToken"] = std::to_string(last);
  }
  Json models = Json::array();
  for (int i = next_page_token; i < last; ++i) {
    Json m;
    m["modelName"] = rows[i].first;
    m["modelUrl"] = rows[i].second;
    models.push_back(m);
  }
  out["models"] = models;
  return out;
}

void ModelManager::Predict(const std::string& name, const std::string& version, InferenceRequest request,
                           ResponseCallback done) {
  auto mv = Lookup(name, version);
  auto job = std::make_unique<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->arrival = launch_.timers->Now();
  if (!mv.ok()) {
    job->Fail(mv.status());
    return;
  }
  (*mv)->Submit(std::move(job));
}

bool ModelManager::Healthy() const {
  ReaderLock lock(mu_);
  for (const auto& [name, entry] : models_) {
    auto it = entry.versions.find(entry.default_version);
    if (it != entry.versions.end() && !it->second->IsHealthy()) return false;
  }
  return true;
}

void ModelManager::LoadStartupModels(std::function<void()> done) {
  std::string spec(Trim(config_.load_models));
  if (spec.empty()) {
    if (done) done();
    return;
  }
  std::vector<std::pair<std::string, std::string>> entries;  // name, url
  if (EqualsIgnoreCase(spec, "all")) {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(config_.model_store, ec)) {
      std::string file = e.path().filename().string();
      if (StartsWith(file, ".")) continue;
      if (e.is_directory() || EndsWith(file, ".mar") || EndsWith(file, ".model") || EndsWith(file, ".tar.gz")) {
        names.push_back(file);
      }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) entries.emplace_back("", n);
  } else {
    for (const std::string& item : Split(spec, ',')) {
      std::string t(Trim(item));
      if (t.empty()) continue;
      size_t eq = t.find('=');
      if (eq == std::string::npos) entries.emplace_back("", t);
      else entries.emplace_back(t.substr(0, eq), t.substr(eq + 1));
    }
  }
  auto one_done = CountDown(entries.size(), std::move(done));
  for (const auto& [name, url] : entries) {
    RegisterParams p;
    p.url = url;
    p.model_name = name;
    p.synchronous = false;
    RegisterResolved(p, true, config_.models, [url = url, one_done](StatusOr<ManagementReply> r) {
      if (!r.ok()) HLOG_ERROR("failed to load startup model {}: {}", url, r.status().message());
      one_done();
    });
  }
}

void ModelManager::RestoreSnapshot(const Json& snapshot, std::function<void()> done) {
  size_t total = 0;
  for (auto m = snapshot["models"].begin(); m != snapshot["models"].end(); ++m) total += m.value().size();
  auto one_done = CountDown(total, std::move(done));
  for (auto m = snapshot["models"].begin(); m != snapshot["models"].end(); ++m) {
    for (auto v = m.value().begin(); v != m.value().end(); ++v) {
      const Json& s = v.value();
      RegisterParams p;
      p.url = s.value("marName", "");
      p.model_name = m.key();
      p.synchronous = false;
      p.restored = true;
      auto int_of = [&](const char* key) -> std::optional<int> {
        auto it = s.find(key);
        if (it == s.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<int>();
      };
      p.min_workers = int_of("minWorkers").value_or(0);
      p.max_workers = int_of("maxWorkers");
      p.batch_size = int_of("batchSize");
      p.max_batch_delay_ms = int_of("maxBatchDelay");
      p.response_timeout_s = int_of("responseTimeout");
      p.startup_timeout_s = int_of("startupTimeout");
      if (auto rt = s.find("runtimeType"); rt != s.end() && rt->is_string()) p.runtime = *rt;
      const bool is_default = s.value("defaultVersion", false);
      const std::string name = m.key(), version = v.key();
      RegisterResolved(p, false, Json::object(),
                       [this, name, version, is_default, one_done](StatusOr<ManagementReply> r) {
                         if (!r.ok()) {
                           HLOG_ERROR("cannot restore model {} version {} from the snapshot: {}", name, version,
                                      r.status().message());
                         } else if (is_default) {
                           (void)SetDefault(name, version);
                         }
                         one_done();
                       });
    }
  }
}

void ModelManager::ShutdownAll(std::chrono::seconds deadline, std::function<void()> done) {
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    WriterLock lock(mu_);
    for (auto& [name, entry] : models_) {
      for (auto& [v, mv] : entry.versions) versions.push_back(mv);
    }
    models_.clear();
  }
  if (versions.empty()) {
    done();
    return;
  }
  auto remaining = std::make_shared<std::atomic<int>>(static_cast<int>(versions.size()));
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (const auto& mv : versions) {
    mv->Shutdown(deadline, [remaining, finish](Status) {
      if (--*remaining == 0) (*finish)();
    });
  }
}

}  // namespace hearth::core
