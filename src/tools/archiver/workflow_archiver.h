#pragma once
// hearth-workflow-archiver: torch-workflow-archiver's job. The spec, the
// handler file and any extra files go flat (by file name) into
// <export>/<name>.war, a ZIP, with WAR-INF/MANIFEST.json
// (archive/war_manifest.h). An extra directory keeps its name and contents.

#include <filesystem>
#include <string>

#include "common/status.h"

namespace hearth::tools {

struct WorkflowArchiverOptions {
  std::string workflow_name;
  std::string spec_file;
  std::string handler;      // the workflow's Python functions ("" when the DAG has none)
  std::string extra_files;  // comma-separated files and directories
  std::string export_path = ".";
  bool force = false;       // -f/--force: overwrite an existing .war
};

// Errors as torch-workflow-archiver's, naming the flag and file: an invalid
// name, an export path that is not a directory, an existing .war without
// --force, a file that does not exist. Returns the written path.
StatusOr<std::filesystem::path> CreateWorkflowArchive(const WorkflowArchiverOptions& options);

}  // namespace hearth::tools
