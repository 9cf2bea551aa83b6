#include "core/model_manager.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "archive/archive_reader.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/strings.h"
#include "config/model_config.h"
#include "core/asio_timers.h"
#include "core/downloader.h"
#include "core/process.h"

namespace hearth::core {
namespace asio = boost::asio;
namespace fs = std::filesystem;

std::string ModelNameFromFile(const std::string& file_name) {
  std::string stem = fs::path(file_name).filename().string();
  for (const char* ext : {".tar.gz", ".mar", ".model", ".tgz"}) {
    if (EndsWith(stem, ext)) {
      stem = stem.substr(0, stem.size() - std::strlen(ext));
      break;
    }
  }
  for (size_t i = 0; i < stem.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(stem[i]);
    bool word = std::isalnum(c) || c == '_';
    if (!word || (i == 0 && c == '_')) stem[i] = '_';
  }
  return stem;
}

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

bool MatchesAllowedUrls(const std::string& url, const std::string& patterns) {
  for (const std::string& p : Split(patterns, ',')) {
    try {
      if (std::regex_match(url, std::regex(std::string(Trim(p)), std::regex::icase))) return true;
    } catch (const std::regex_error&) {
    }
  }
  return false;
}

// JSON value for a model/version from the "models" config key.
Json StartupJsonFor(const Json& models, const std::string& name, const std::string& version) {
  auto m = models.find(name);
  if (m == models.end() || !m->is_object()) return Json::object();
  auto v = m->find(version);
  if (v == m->end() || !v->is_object()) return Json::object();
  return *v;
}

std::optional<int> PositiveInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_integer() && it->get<int>() > 0) return it->get<int>();
  if (it->is_string()) {
    auto v = ParseInt(it->get<std::string>());
    if (v && *v > 0) return v;
  }
  return std::nullopt;
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

void ModelManager::RebalanceThreads() {
  // Pinned workers use exactly their core set (the launcher's plan).
  if (launcher_) return;
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [v, mv] : entry.versions) versions.push_back(mv);
    }
  }
  int total = 0;
  for (const auto& v : versions) total += v->ActiveWorkerCount();
  // Never more intra-op threads in total than cores: oversubscription costs
  // 3.7x on ResNet50 here (docs/performance.md).
  int per_worker = std::max(1, available_cpus_ / std::max(1, total));
  if (config_.threads_per_worker > 0) per_worker = config_.threads_per_worker;  // the user's explicit choice
  std::lock_guard lock(rebalance_mu_);
  if (per_worker == threads_per_worker_) {
    // New workers still need the current value.
    for (const auto& v : versions) v->SetThreadsPerWorker(per_worker);
    return;
  }
  if (total * per_worker > available_cpus_) {
    HLOG_WARN("{} workers x {} intra-op thread(s) > {} CPUs: threads will share cores (oversubscription)", total,
              per_worker, available_cpus_);
  }
  HLOG_INFO("thread budget: {} CPUs / {} workers -> {} intra-op thread(s) per worker", available_cpus_, total,
            per_worker);
  threads_per_worker_ = per_worker;
  for (const auto& v : versions) v->SetThreadsPerWorker(per_worker);
}

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
    fs::path source;
    fs::path downloaded_file;  // removed again if registration fails, and at unregister
    bool is_remote = StartsWith(ToLower(url), "http://") || StartsWith(ToLower(url), "https://");
    if (is_remote) {
      if (!MatchesAllowedUrls(url, config_.allowed_urls)) {
        done(NotFound("Given URL " + url + " does not match any allowed URL(s)"));
        return;
      }
      std::string file = fs::path(url.substr(0, url.find('?'))).filename().string();
      std::error_code ec;
      if (file.empty() || file.find("..") != std::string::npos) {
        done(InvalidArgument("Failed to download archive from: " + url + " (no file name in the URL)"));
        return;
      }
      if (fs::exists(fs::path(config_.model_store) / file, ec)) {
        done(Internal("Model file already exists " + file));
        return;
      }
      Status downloaded = DownloadFile(url, fs::path(config_.model_store) / file, DownloadOptions{});
      if (!downloaded.ok()) {
        done(downloaded);
        return;
      }
      HLOG_INFO("downloaded {} into the model store as {}", url, file);
      source = fs::path(config_.model_store) / file;
      downloaded_file = source;
    }
    if (is_remote) {
      // downloaded above
    } else if (StartsWith(url, "file://")) {
      source = url.substr(7);
    } else {
      if (url.find("..") != std::string::npos || url.find('/') != std::string::npos) {
        done(NotFound("Relative path is not allowed in url: " + url));
        return;
      }
      source = fs::path(config_.model_store) / url;
    }
    std::error_code ec;
    if (!fs::exists(source, ec)) {
      done(NotFound("Model not found at: " + url));
      return;
    }
    archive::ExtractOptions extract;
    extract.extraction_root = fs::path(config_.temp_dir) / "models";
    extract.max_total_bytes = static_cast<uint64_t>(config_.max_archive_bytes);
    auto opened = archive::OpenModelArchive(source, extract);
    if (!opened.ok() && !downloaded_file.empty()) fs::remove(downloaded_file, ec);
    if (!opened.ok()) {
      Status st = opened.status();
      done(Status(st.code() == StatusCode::kNotFound ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  st.message()));
      return;
    }
    auto cleanup = [&] {
      if (!opened->extracted_dir.empty()) fs::remove_all(opened->extracted_dir, ec);
      if (!downloaded_file.empty()) fs::remove(downloaded_file, ec);
    };
    ModelSettings s;
    s.url = url;
    s.model_dir = opened->model_dir;
    s.extracted_dir = opened->extracted_dir;
    s.downloaded_file = downloaded_file;
    s.loaded_at_startup = at_startup || params.restored;
    archive::Manifest manifest;
    if (opened->manifest) manifest = *opened->manifest;
    s.name = !params.model_name.empty() ? params.model_name
             : !manifest.model_name.empty() ? manifest.model_name
                                             : ModelNameFromFile(url);
    s.version = manifest.model_version.empty() ? "1.0" : manifest.model_version;
    s.handler = !params.handler.empty() ? params.handler
                : !manifest.handler.empty() ? manifest.handler
                                            : config_.default_service_handler;
    s.serialized_file = manifest.serialized_file;
    s.model_file = manifest.model_file;
    {
      const fs::path model_dir = s.model_dir;
      archive::RuntimeChoice choice = archive::ChooseWorkerRuntime(
          {s.handler, s.model_file, [&model_dir](const std::string& name) {
             std::error_code ec;
             return fs::exists(model_dir / name, ec);
           }});
      s.worker_runtime = choice.runtime;
      HLOG_INFO("model {}: {} worker ({})", url, archive::WorkerRuntimeName(choice.runtime), choice.reason);
    }
    s.runtime = !params.runtime.empty() ? params.runtime : manifest.runtime;
    if (!archive::IsValidModelName(s.name)) {
      cleanup();
      done(InvalidArgument("Model name contains special characters. The allowed regular expression filter is: "
                           "^[A-Za-z0-9][A-Za-z0-9_\\-.]*$"));
      return;
    }
    // model-config.yaml
    config::ModelYamlConfig yaml;
    if (!manifest.config_file.empty()) {
      fs::path yaml_path = s.model_dir / manifest.config_file;
      auto text = ReadFile(yaml_path);
      if (!text.ok()) {
        cleanup();
        done(InvalidArgument(url + ": configFile " + manifest.config_file + " named in the manifest is missing"));
        return;
      }
      auto parsed = config::ParseModelYaml(*text, url + ":" + manifest.config_file);
      if (!parsed.ok()) {
        cleanup();
        done(parsed.status());
        return;
      }
      yaml = *parsed;
      for (const auto& w : yaml.warnings) HLOG_WARN("{}", w);
    }
    s.yaml = yaml.all;
    {
      archive::Manifest seen = manifest;  // what the handler's context.manifest shows
      seen.model_name = s.name;
      seen.model_version = s.version;
      seen.handler = s.handler;
      s.manifest_json = archive::SerializeManifest(seen);
    }
    Json startup = at_startup ? StartupJsonFor(models_json, s.name, s.version) : Json::object();
    if (auto rt = startup.find("runtimeType"); rt != startup.end() && rt->is_string()) s.runtime = *rt;

    // Batching: param > yaml > models JSON > 1 / 100 ms.
    s.batch_size = params.batch_size && *params.batch_size > 0 ? *params.batch_size
                   : yaml.batch_size && *yaml.batch_size > 0  ? *yaml.batch_size
                                                              : PositiveInt(startup, "batchSize").value_or(1);
    s.max_batch_delay_ms = params.max_batch_delay_ms && *params.max_batch_delay_ms >= 0 ? *params.max_batch_delay_ms
                           : yaml.max_batch_delay_ms && *yaml.max_batch_delay_ms > 0 ? *yaml.max_batch_delay_ms
                           : PositiveInt(startup, "maxBatchDelay").value_or(100);
    // Timeouts: yaml > models JSON > param > default.
    s.response_timeout_s = yaml.response_timeout_s ? *yaml.response_timeout_s
                           : PositiveInt(startup, "responseTimeout") ? *PositiveInt(startup, "responseTimeout")
                           : params.response_timeout_s ? *params.response_timeout_s
                                                       : config_.default_response_timeout_s;
    s.startup_timeout_s = yaml.startup_timeout_s ? *yaml.startup_timeout_s
                          : PositiveInt(startup, "startupTimeout") ? *PositiveInt(startup, "startupTimeout")
                          : params.startup_timeout_s ? *params.startup_timeout_s
                                                     : config_.default_startup_timeout_s;
    s.job_queue_size = yaml.job_queue_size && *yaml.job_queue_size > 0 ? *yaml.job_queue_size : config_.job_queue_size;
    s.max_retry_timeout_s = yaml.max_retry_timeout_s.value_or(300);
    s.client_timeout_ms = yaml.client_timeout_ms.value_or(0);
    s.ipex_enable = yaml.ipex_enable.value_or(config_.ipex_enable);
    // Workers: yaml (if min > 0 and max >= min) > initial_workers / models JSON > default.
    int min_w, max_w;
    if (params.min_workers) {
      min_w = std::max(0, *params.min_workers);
      max_w = std::max(min_w, params.max_workers.value_or(min_w));
    } else if (yaml.min_workers && *yaml.min_workers > 0 && yaml.max_workers && *yaml.max_workers >= *yaml.min_workers) {
      min_w = *yaml.min_workers;
      max_w = *yaml.max_workers;
    } else if (at_startup) {
      int def = config_.default_workers_per_model > 0 ? config_.default_workers_per_model : available_cpus_;
      min_w = PositiveInt(startup, "minWorkers").value_or(def);
      max_w = PositiveInt(startup, "maxWorkers").value_or(std::max(min_w, def));
      if (max_w < min_w) max_w = min_w;
    } else {
      min_w = params.initial_workers && *params.initial_workers >= 0 ? *params.initial_workers
                                                                     : config_.default_workers_per_model;
      max_w = min_w;
    }

    std::shared_ptr<ModelVersion> mv;
    {
      std::unique_lock lock(mu_);
      ModelEntry& entry = models_[s.name];
      if (entry.versions.count(s.version)) {
        if (entry.versions.empty()) models_.erase(s.name);
        lock.unlock();
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
    std::unique_lock lock(mu_);
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

StatusOr<std::shared_ptr<ModelVersion>> ModelManager::Lookup(const std::string& name,
                                                             const std::string& version) const {
  std::shared_lock lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return NotFound("Model not found: " + name);
  const std::string& v = version.empty() ? it->second.default_version : version;
  auto found = it->second.versions.find(v);
  if (found == it->second.versions.end()) {
    return Status(StatusCode::kVersionNotFound, "Model version: " + v + " does not exist for model: " + name);
  }
  return found->second;
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
  std::string v = (*mv)->settings().version;
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

void ModelManager::Unregister(const std::string& name, const std::string& version, ManagementCallback done) {
  std::shared_ptr<ModelVersion> mv;
  {
    std::unique_lock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) {
      done(NotFound("Model not found: " + name));
      return;
    }
    ModelEntry& entry = it->second;
    std::string v = version.empty() ? entry.default_version : version;
    auto found = entry.versions.find(v);
    if (found == entry.versions.end()) {
      done(Status(StatusCode::kVersionNotFound, "Model version: " + v + " does not exist for model: " + name));
      return;
    }
    if (v == entry.default_version && entry.versions.size() > 1) {
      done(FailedPrecondition("Cannot remove default version for model " + name));
      return;
    }
    mv = found->second;
    entry.versions.erase(found);
    if (entry.versions.empty()) models_.erase(it);
  }
  HLOG_INFO("unregistering model {} version {}", name, mv->settings().version);
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
  std::unique_lock lock(mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return NotFound("Model not found: " + name);
  if (!it->second.versions.count(version)) {
    return Status(StatusCode::kVersionNotFound, "Model version " + version + " does not exist for model " + name);
  }
  it->second.default_version = version;
  return ManagementReply{200, "Default version successfully updated for model \"" + name + "\" to \"" + version + "\""};
}

StatusOr<Json> ModelManager::Describe(const std::string& name, const std::string& version) const {
  std::vector<std::shared_ptr<ModelVersion>> targets;
  {
    std::shared_lock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return NotFound("Model not found: " + name);
    if (version == "all") {
      for (const auto& [v, mv] : it->second.versions) targets.push_back(mv);
    } else {
      const std::string& v = version.empty() ? it->second.default_version : version;
      auto found = it->second.versions.find(v);
      if (found == it->second.versions.end()) {
        return Status(StatusCode::kVersionNotFound, "Model version: " + v + " does not exist for model: " + name);
      }
      targets.push_back(found->second);
    }
  }
  Json out = Json::array();
  for (const auto& mv : targets) out.push_back(mv->Describe());
  return out;
}

StatusOr<ModelInfo> ModelManager::Info(const std::string& name, const std::string& version) const {
  ModelInfo info;
  std::shared_ptr<ModelVersion> mv;
  {
    std::shared_lock lock(mu_);
    auto it = models_.find(name);
    if (it == models_.end()) return NotFound("Model not found: " + name);
    const std::string& v = version.empty() ? it->second.default_version : version;
    auto found = it->second.versions.find(v);
    if (found == it->second.versions.end()) {
      return Status(StatusCode::kVersionNotFound, "Model version: " + v + " does not exist for model: " + name);
    }
    for (const auto& [ver, unused] : it->second.versions) info.versions.push_back(ver);
    info.version = v;
    mv = found->second;
  }
  info.name = name;
  info.handler = mv->settings().handler;
  info.ready = mv->IsReady(true);
  info.signature = mv->Signature();
  return info;
}

std::vector<std::string> ModelManager::ModelNames() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : models_) names.push_back(name);
  return names;
}

bool ModelManager::AllReady() const {
  std::shared_lock lock(mu_);
  for (const auto& [name, entry] : models_) {
    auto it = entry.versions.find(entry.default_version);
    if (it != entry.versions.end() && !it->second->IsReady(false)) return false;
  }
  return true;
}

Json ModelManager::List(int limit, int next_page_token) const {
  if (limit < 0 || limit > 100) limit = 100;
  if (next_page_token < 0) next_page_token = 0;
  std::vector<std::pair<std::string, std::string>> rows;  // name, url
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, entry] : models_) {
      auto it = entry.versions.find(entry.default_version);
      if (it != entry.versions.end()) rows.emplace_back(name, it->second->settings().url);
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
  std::shared_lock lock(mu_);
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

namespace {
// utime + stime of a process, in seconds (from /proc/<pid>/stat).
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
}  // namespace

std::string ModelManager::RenderRuntimeMetrics(const std::vector<std::string>& names) const {
  auto wanted = [&](const char* n) {
    if (names.empty()) return true;
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [v, mv] : entry.versions) versions.push_back(mv);
    }
  }
  std::string queue, live, restarts, rss, cpu;
  for (const auto& mv : versions) {
    const auto& s = mv->settings();
    const std::string labels = "model_name=\"" + s.name + "\",model_version=\"" + s.version + "\"";
    queue += "hearth_queue_depth{" + labels + "} " + std::to_string(mv->QueueSize()) + "\n";
    live += "hearth_live_workers{" + labels + "} " + std::to_string(mv->LiveWorkerCount()) + "\n";
    for (const auto& w : mv->WorkerSnapshots()) {
      const std::string wl = labels + ",worker=\"" + std::to_string(w.id) + "\"";
      restarts += "hearth_worker_restarts_total{" + wl + "} " + std::to_string(w.restarts) + "\n";
      if (w.pid > 0 && w.rss_bytes > 0) {
        rss += "hearth_worker_rss_bytes{" + wl + "} " + std::to_string(w.rss_bytes) + "\n";
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.2f", ProcessCpuSeconds(w.pid));
        cpu += "hearth_worker_cpu_seconds_total{" + wl + "} " + buf + "\n";
      }
    }
  }
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help, const std::string& samples) {
    if (!wanted(name) || samples.empty()) return;
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + samples;
  };
  family("hearth_queue_depth", "gauge", "Requests waiting in the model's queue", queue);
  family("hearth_live_workers", "gauge", "Worker processes running (starting or ready)", live);
  family("hearth_worker_restarts_total", "counter", "Times the worker process was restarted", restarts);
  family("hearth_worker_rss_bytes", "gauge", "Resident memory of the worker process", rss);
  family("hearth_worker_cpu_seconds_total", "counter", "CPU time used by the worker process", cpu);
  return out;
}

Json ModelManager::ExportSnapshot() const {
  Json out = Json::object();
  std::shared_lock lock(mu_);
  for (const auto& [name, entry] : models_) {
    Json versions = Json::object();
    for (const auto& [version, mv] : entry.versions) {
      ModelSettings s = mv->SettingsSnapshot();
      Json v;
      v["defaultVersion"] = version == entry.default_version;
      v["marName"] = s.downloaded_file.empty() ? s.url : s.downloaded_file.filename().string();
      v["minWorkers"] = s.min_workers;
      v["maxWorkers"] = s.max_workers;
      v["batchSize"] = s.batch_size;
      v["maxBatchDelay"] = s.max_batch_delay_ms;
      v["responseTimeout"] = s.response_timeout_s;
      v["startupTimeout"] = s.startup_timeout_s;
      v["runtimeType"] = s.runtime;
      versions[version] = v;
    }
    out[name] = versions;
  }
  return out;
}

Status ModelManager::CheckSnapshot(const Json& snapshot) const {
  if (!snapshot.contains("models") || !snapshot["models"].is_object()) {
    return InvalidArgument("model_snapshot has no \"models\" object");
  }
  for (auto m = snapshot["models"].begin(); m != snapshot["models"].end(); ++m) {
    if (!m.value().is_object()) return InvalidArgument("model_snapshot: model " + m.key() + " is not an object");
    for (auto v = m.value().begin(); v != m.value().end(); ++v) {
      std::string mar = v.value().value("marName", "");
      std::error_code ec;
      if (mar.empty() || !fs::exists(fs::path(config_.model_store) / mar, ec)) {
        return NotFound("Model archive file for model :" + m.key() + ", version :" + v.key() +
                        " not found in model store");
      }
    }
  }
  return Status::Ok();
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
    std::unique_lock lock(mu_);
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
