#include "tools/archiver/entry_list.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "common/strings.h"

namespace hearth::tools {
namespace fs = std::filesystem;

bool SkippedArchiveName(const std::string& name) {
  return name == "__MACOSX" || name == "__pycache__" || name == ".DS_Store" || EndsWith(name, ".pyc") ||
         EndsWith(name, ".mar") || (StartsWith(name, ".") && name != "." && name != "..");
}

std::string ArchiveCreatedOn() {
  std::time_t now = std::time(nullptr);
  std::tm tm;
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%d/%m/%Y %H:%M:%S", &tm);
  return buf;
}

Status EntryList::AddFile(const fs::path& source, const std::string& archive_path, const std::string& flag) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    return InvalidArgument(flag + ": file not found or not a regular file: " + source.string());
  }
  if (::access(source.c_str(), R_OK) != 0) return InvalidArgument(flag + ": cannot read " + source.string());
  auto [it, inserted] = names_.emplace(archive_path, source.string());
  if (!inserted) {
    if (it->second == source.string()) return Status::Ok();
    return InvalidArgument(flag + ": " + source.string() + " and " + it->second + " would both be stored as " +
                           archive_path);
  }
  entries_.push_back({archive_path, source, ""});
  return Status::Ok();
}

Status EntryList::AddDirectory(const fs::path& dir, const std::string& flag, const std::string& prefix) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (SkippedArchiveName(name)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) return InvalidArgument(flag + ": cannot read directory " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string relative = fs::relative(f, dir).generic_string();
    RETURN_IF_ERROR(AddFile(f, prefix.empty() ? relative : prefix + "/" + relative, flag));
  }
  return Status::Ok();
}

}  // namespace hearth::tools
