#pragma once
// hearth-archiver: torch-model-archiver's job. Options -> the list of files
// and the manifest -> an archive in the requested format.

#include <filesystem>
#include <string>
#include <vector>

#include "archive/archive_writer.h"
#include "archive/manifest.h"
#include "common/status.h"

namespace hearth::tools {

struct ArchiverOptions {
  std::string model_name;
  std::string version;            // the model version (torch-model-archiver's -v/--version)
  std::string serialized_file;
  std::string model_file;
  std::string handler;
  std::string extra_files;        // comma-separated files, directories and globs
  std::string requirements_file;
  std::string config_file;        // model-config.yaml
  std::string export_path = ".";
  std::string archive_format = "default";
  std::string runtime = "python";
  bool force = false;
};

// The handler names torch-model-archiver does not copy (TorchServe's
// built-ins, plus Hearth's "tensor").
bool IsBuiltinHandler(const std::string& handler);

struct ArchivePlan {
  archive::Manifest manifest;
  std::vector<archive::ArchiveEntry> entries;  // manifest included
  std::filesystem::path output;
  archive::WriteOptions write;
};

// Validates the options and works out every file that goes in. Reads only
// metadata (and the config YAML, to validate it). Errors name the flag and file.
StatusOr<ArchivePlan> PlanArchive(const ArchiverOptions& options);
// PlanArchive + WriteModelArchive; returns the output path.
StatusOr<std::filesystem::path> CreateArchive(const ArchiverOptions& options);

}  // namespace hearth::tools
