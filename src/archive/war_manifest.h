#pragma once
// WAR-INF/MANIFEST.json, as torch-workflow-archiver 0.2 writes it:
//   {"createdOn": "17/03/2025 11:20:57",
//    "workflow": {"workflowName": ..., "specFile": ..., "handler": ...},
//    "archiverVersion": "0.2.15"}
// Keys in that order, 2-space indent. Pure.

#include <string>

#include "common/status.h"

namespace hearth::archive {

inline constexpr char kWarManifestPath[] = "WAR-INF/MANIFEST.json";
inline constexpr char kWorkflowArchiverVersion[] = "0.2.15";

struct WarManifest {
  bool has_workflow = false;  // a "workflow" section was present
  std::string created_on;     // "%d/%m/%Y %H:%M:%S", local time
  std::string workflow_name;
  std::string spec_file;
  std::string handler;
  std::string archiver_version;
};

// Reads a manifest without judging it (a registration may still supply the
// name). Errors: not JSON, not an object, a field that is not a string;
// `origin` (the archive) prefixes them.
StatusOr<WarManifest> ParseWarManifest(const std::string& text, const std::string& origin);
// TorchServe's checks, in its order: the workflow section, workflowName,
// archiverVersion, createdOn; then that specFile is named.
Status ValidateWarManifest(const WarManifest& manifest, const std::string& origin);
// Serializes exactly in torch-workflow-archiver's layout.
std::string SerializeWarManifest(const WarManifest& manifest);

}  // namespace hearth::archive
