#pragma once
// Writing model archives in torch-model-archiver's formats:
//   kDefault    <export>/<name>.mar, ZIP with deflate
//   kZipStore   <export>/<name>.mar, ZIP without compression
//   kTgz        <export>/<name>.tar.gz, entries under "<name>/"
//   kNoArchive  the directory <export>/<name>/
// Files are streamed from disk (a 440 MB model is never held in memory), and
// the result appears atomically: it is written under a temporary name in the
// export directory and renamed into place.

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::archive {

enum class ArchiveFormat { kDefault, kZipStore, kTgz, kNoArchive };
StatusOr<ArchiveFormat> ParseArchiveFormat(const std::string& name);

struct ArchiveEntry {
  std::string archive_path;            // path inside the archive, '/'-separated
  std::filesystem::path source;        // file to copy; empty when `contents` is used
  std::string contents;                // literal contents (the manifest)
};

// The output path for a model name and format.
std::filesystem::path ArchiveOutputPath(const std::filesystem::path& export_dir, const std::string& model_name,
                                        ArchiveFormat format);

struct WriteOptions {
  ArchiveFormat format = ArchiveFormat::kDefault;
  std::string model_name;              // the tgz top directory
  bool overwrite = false;              // -f/--force
};

// Writes `entries` to `output`. Errors name the file that failed.
Status WriteModelArchive(const std::vector<ArchiveEntry>& entries, const std::filesystem::path& output,
                         const WriteOptions& options);

// A human-readable description of an archive (.mar, .tar.gz or directory):
// its manifest and its files with sizes. For `hearth-archiver --inspect`.
StatusOr<std::string> DescribeArchive(const std::filesystem::path& path);

}  // namespace hearth::archive
