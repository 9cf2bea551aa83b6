#include "server/snapshot.h"

#include <chrono>
#include <ctime>
#include <filesystem>

#include "common/files.h"
#include "common/logging.h"
#include "config/java_properties.h"

namespace hearth::server {
namespace fs = std::filesystem;

std::string RenderSnapshot(const std::map<std::string, std::string>& properties, const Json& model_snapshot,
                           const std::string& date_comment) {
  std::string out = "#Saving snapshot\n#" + date_comment + "\n";
  std::map<std::string, std::string> all = properties;
  all["model_snapshot"] = PythonJson(model_snapshot);
  for (const auto& [k, v] : all) {
    out += config::EscapePropertyText(k, true) + "=" + config::EscapePropertyText(v, false) + "\n";
  }
  return out;
}

SnapshotWriter::SnapshotWriter(const config::ServerConfig& config, core::ModelManager& models,
                               workflow::WorkflowManager* workflows)
    : config_(config), models_(models), workflows_(workflows) {}

void SnapshotWriter::Write(const std::string& kind) {
  if (config_.no_config_snapshots) return;
  std::lock_guard lock(mu_);
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
                              1000);
  std::tm tm;
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
  char full[40];
  std::snprintf(full, sizeof(full), "%s%03ld", stamp, ms);
  std::string name = full;
  if (name <= last_stamp_) {
    // Two snapshots in one millisecond: keep names unique and ordered.
    long long v = std::stoll(last_stamp_) + 1;
    name = std::to_string(v);
  }
  last_stamp_ = name;
  char date[64];
  std::strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", &tm);
  fs::path dir = fs::path(config_.log_location) / "config";
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::map<std::string, std::string> props = config_.properties;
  props.erase("model_snapshot");
  props["version"] = HEARTH_VERSION;
  props["number_of_gpu"] = "0";
  props["model_store"] = fs::absolute(config_.model_store).string();
  if (!config_.workflow_store.empty()) props["workflow_store"] = fs::absolute(config_.workflow_store).string();
  if (!config_.config_file.empty()) props["tsConfigFile"] = config_.config_file;
  Json models = models_.ExportSnapshot();
  Json snapshot;
  snapshot["name"] = name + "-" + kind + ".cfg";
  snapshot["modelCount"] = models.size();
  snapshot["created"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  snapshot["models"] = models;
  if (workflows_) {
    Json workflows = workflows_->ExportSnapshot();
    if (!workflows.empty()) snapshot["workflows"] = workflows;
  }
  Status st = WriteFileAtomic(dir / (name + "-" + kind + ".cfg"), RenderSnapshot(props, snapshot, date));
  if (!st.ok()) HLOG_WARN("cannot write the config snapshot: {}", st.message());
}

}  // namespace hearth::server
