#pragma once
// TorchServe-compatible config snapshots: after every register, scale,
// unregister and set-default, at start (after binding) and at shutdown, the
// effective configuration plus a `model_snapshot` JSON of every model
// version is written to ${LOG_LOCATION:-logs}/config/<yyyyMMddHHmmssSSS>-
// <startup|snapshot|shutdown>.cfg in java.util.Properties format. A server
// started without --ncs and without an explicit config loads the newest one
// (ResolveServerConfig) and gets its models back (ModelManager::Restore).

#include <mutex>
#include <string>

#include "common/json.h"
#include "config/server_config.h"
#include "core/model_manager.h"
#include "workflow/workflow_manager.h"

namespace hearth::server {

// The file contents for these properties and model list. Pure.
std::string RenderSnapshot(const std::map<std::string, std::string>& properties, const Json& model_snapshot,
                           const std::string& date_comment);

class SnapshotWriter {
 public:
  // `workflows` (may be null) outlives the writer; its workflows go into
  // model_snapshot under "workflows" (TorchServe keeps none).
  SnapshotWriter(const config::ServerConfig& config, core::ModelManager& models,
                 workflow::WorkflowManager* workflows = nullptr);
  // kind: "startup", "snapshot" or "shutdown". No-op with --ncs. Thread-safe.
  void Write(const std::string& kind);

 private:
  const config::ServerConfig& config_;
  core::ModelManager& models_;
  workflow::WorkflowManager* workflows_;
  std::mutex mu_;
  std::string last_stamp_;  // guarded by mu_: keeps file names unique and ordered
};

}  // namespace hearth::server
