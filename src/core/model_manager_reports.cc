// What the model manager reports about itself: runtime metrics (queue
// depth, live workers, restarts, RSS, CPU) and the snapshot of its models.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/files.h"
#include "common/proc_stats.h"
#include "core/model_manager.h"

namespace hearth::core {
namespace fs = std::filesystem;

namespace {
// utime + stime of a process, in seconds (from /proc/<pid>/stat).
double ProcessCpuSeconds(pid_t pid) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto stat = text.ok() ? ParsePidStat(*text) : std::nullopt;
  if (!stat) return 0;
  return static_cast<double>(stat->cpu_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
}  // namespace

std::string ModelManager::RenderRuntimeMetrics(const std::vector<std::string>& names) const {
  auto wanted = [&](const char* n) {
    if (names.empty()) return true;
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  std::vector<std::shared_ptr<ModelVersion>> versions;
  {
    ReaderLock lock(mu_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [v, mv] : entry.versions) versions.push_back(mv);
    }
  }
  std::string queue, live, restarts, rss, cpu;
  for (const auto& mv : versions) {
    const std::string labels = "model_name=\"" + mv->name() + "\",model_version=\"" + mv->version() + "\"";
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
  ReaderLock lock(mu_);
  for (const auto& [name, entry] : models_) {
    Json versions = Json::object();
    for (const auto& [version, mv] : entry.versions) {
      if (!mv->workflow().empty()) continue;  // restored with its workflow (WorkflowManager::ExportSnapshot)
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
    if (!versions.empty()) out[name] = versions;
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

}  // namespace hearth::core
