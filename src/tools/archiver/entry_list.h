#pragma once
// The files that go into an archive (.mar or .war), checked as they are
// added: each must be a readable regular file, and two different files may
// not land on the same path inside the archive. Errors name the flag.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "archive/archive_writer.h"
#include "common/status.h"

namespace hearth::tools {

// The archivers' "createdOn": local time as "%d/%m/%Y %H:%M:%S".
std::string ArchiveCreatedOn();

// Build-tree clutter the archivers leave out (__pycache__, dot files, .pyc, .mar).
bool SkippedArchiveName(const std::string& name);

class EntryList {
 public:
  Status AddFile(const std::filesystem::path& source, const std::string& archive_path, const std::string& flag);
  // A directory's contents go under `prefix` ("" = the archive root),
  // keeping their subfolders; clutter is skipped.
  Status AddDirectory(const std::filesystem::path& dir, const std::string& flag, const std::string& prefix = "");
  std::vector<archive::ArchiveEntry>& entries() { return entries_; }

 private:
  std::vector<archive::ArchiveEntry> entries_;
  std::map<std::string, std::string> names_;  // archive path -> source
};

}  // namespace hearth::tools
