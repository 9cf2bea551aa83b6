// What a model's workers run with: their intra-op thread budget and a
// Python model's own virtual environment.
#include <algorithm>
#include <filesystem>

#include "common/ids.h"
#include "common/logging.h"
#include "common/strings.h"
#include "core/model_manager.h"
#include "core/python_deps.h"

namespace hearth::core {
namespace fs = std::filesystem;

void ModelManager::RebalanceThreads() {
  // Pinned workers use exactly their core set (the launcher's plan).
  if (launcher_) return;
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    ReaderLock lock(mu_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [v, mv] : entry.versions) versions.push_back(mv);
    }
  }
  int total = 0;
  int own_total = 0;    // threads of the models that set their own
  int own_workers = 0;  // and their workers
  for (const auto& v : versions) {
    const int workers = v->ActiveWorkerCount();
    total += workers;
    if (v->own_threads() > 0) {
      own_total += v->own_threads() * workers;
      own_workers += workers;
    }
  }
  // Never more intra-op threads in total than cores: oversubscription costs
  // 3.7x on ResNet50 here (docs/performance.md). Models with their own
  // setting keep it; the others share the cores left.
  int per_worker = std::max(1, std::max(0, available_cpus_ - own_total) / std::max(1, total - own_workers));
  if (config_.threads_per_worker > 0) per_worker = config_.threads_per_worker;  // the user's explicit choice
  // A model's own thread setting wins; say so where its logs go when the
  // machine cannot hold every thread.
  if (own_total > 0) {
    int threads = 0;
    for (const auto& v : versions) {
      threads += v->ActiveWorkerCount() * (v->own_threads() > 0 ? v->own_threads() : per_worker);
    }
    if (threads > available_cpus_) {
      for (const auto& v : versions) {
        if (v->own_threads() == 0 || v->ActiveWorkerCount() == 0) continue;
        logging::Model(spdlog::level::warn, v->name(),
                       v->SettingsSnapshot().own_threads_from + ": " + std::to_string(v->ActiveWorkerCount()) +
                           " worker(s) x " + std::to_string(v->own_threads()) + " thread(s); all models use " +
                           std::to_string(threads) + " intra-op threads on " + std::to_string(available_cpus_) +
                           " CPUs: threads will share cores (oversubscription)");
      }
    }
  }
  MutexLock lock(rebalance_mu_);
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

Status ModelManager::PrepareRequirements(const ArchiveForRegistration& archive, ModelSettings& s) {
  const auto& manifest = archive.opened.manifest;
  if (!manifest || manifest->requirements_file.empty() || s.worker_runtime != archive::WorkerRuntime::kPython) {
    return Status::Ok();
  }
  auto key = config_.properties.find("install_py_dep_per_model");
  if (key == config_.properties.end() || !ParseJavaBool(key->second)) {
    HLOG_INFO("model {}: {} not installed (install_py_dep_per_model=false): its packages must already be there",
              s.name, manifest->requirements_file);
    return Status::Ok();
  }
  PythonDepsOptions o;
  o.python = launch_.python_command.front();
  o.requirements = s.model_dir / manifest->requirements_file;
  o.venv_dir = fs::path(config_.temp_dir) / "venvs" / (s.name + "_" + s.version + "_" + RandomHex(8));
  o.env = launch_.env;
  o.model = s.name;
  std::error_code ec;
  fs::create_directories(o.venv_dir.parent_path(), ec);
  ASSIGN_OR_RETURN(s.python_executable, InstallPythonDeps(o));
  s.venv_dir = o.venv_dir;
  return Status::Ok();
}

}  // namespace hearth::core
