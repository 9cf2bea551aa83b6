#include "archive/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <zip.h>

#include <fstream>
#include <memory>
#include <vector>

#include "common/files.h"
#include "common/strings.h"

namespace hearth::archive {
namespace fs = std::filesystem;

bool IsSafeEntryPath(const std::string& entry) {
  if (entry.empty() || entry.front() == '/' || entry.find('\0') != std::string::npos) return false;
  if (entry.find('\\') != std::string::npos) return false;  // Windows separators: refuse rather than guess
  for (const std::string& part : Split(entry, '/')) {
    if (part == "..") return false;
  }
  return true;
}

ArchiveKind DetectArchiveKind(const fs::path& source) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) return ArchiveKind::kDirectory;
  std::ifstream in(source, std::ios::binary);
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  if (in.gcount() >= 4 && magic[0] == 'P' && magic[1] == 'K' && (magic[2] == 3 || magic[2] == 5)) {
    return ArchiveKind::kZip;
  }
  if (in.gcount() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return ArchiveKind::kTarGz;
  return ArchiveKind::kUnknown;
}

namespace {

struct Budget {
  const ExtractOptions& options;
  const std::string& origin;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  Status AddEntry() {
    if (++entries > options.max_entries) {
      return InvalidArgument(origin + ": more than " + std::to_string(options.max_entries) + " entries");
    }
    return Status::Ok();
  }
  Status AddBytes(uint64_t n) {
    bytes += n;
    if (bytes > options.max_total_bytes) {
      return InvalidArgument(origin + ": uncompressed size exceeds the limit of " +
                             std::to_string(options.max_total_bytes) + " bytes");
    }
    return Status::Ok();
  }
};

Status CheckEntry(const std::string& origin, const std::string& name) {
  if (!IsSafeEntryPath(name)) {
    return InvalidArgument(origin + ": unsafe entry path \"" + name + "\" (absolute or outside the archive)");
  }
  return Status::Ok();
}

Status ExtractZip(const fs::path& source, const fs::path& dest, Budget& budget) {
  const std::string origin = source.string();
  int err = 0;
  std::unique_ptr<zip_t, decltype(&zip_discard)> za(zip_open(source.c_str(), ZIP_RDONLY, &err), zip_discard);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return InvalidArgument(origin + ": not a readable zip archive: " + msg);
  }
  zip_int64_t n = zip_get_num_entries(za.get(), 0);
  std::vector<char> buffer(1 << 20);
  for (zip_int64_t i = 0; i < n; ++i) {
    RETURN_IF_ERROR(budget.AddEntry());
    zip_stat_t st;
    if (zip_stat_index(za.get(), i, 0, &st) != 0) return InvalidArgument(origin + ": unreadable entry " + std::to_string(i));
    std::string name = st.name;
    RETURN_IF_ERROR(CheckEntry(origin, name));
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(za.get(), i, 0, &opsys, &attributes) == 0 && opsys == ZIP_OPSYS_UNIX) {
      mode_t mode = attributes >> 16;
      if (S_ISLNK(mode)) return InvalidArgument(origin + ": symbolic link entry \"" + name + "\" refused");
      // Some writers (Python's zipfile.writestr) leave the file-type bits 0.
      if ((mode & S_IFMT) != 0 && !S_ISREG(mode) && !S_ISDIR(mode)) {
        return InvalidArgument(origin + ": special file entry \"" + name + "\" refused");
      }
    }
    fs::path target = dest / name;
    std::error_code ec;
    if (EndsWith(name, "/")) {
      fs::create_directories(target, ec);
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> zf(zip_fopen_index(za.get(), i, 0), zip_fclose);
    if (!zf) return InvalidArgument(origin + ": cannot read entry \"" + name + "\": " + zip_strerror(za.get()));
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return Internal("cannot write " + target.string());
    while (true) {
      zip_int64_t got = zip_fread(zf.get(), buffer.data(), buffer.size());
      if (got < 0) return InvalidArgument(origin + ": corrupt entry \"" + name + "\": " + zip_file_strerror(zf.get()));
      if (got == 0) break;
      RETURN_IF_ERROR(budget.AddBytes(static_cast<uint64_t>(got)));
      out.write(buffer.data(), got);
    }
    if (!out) return Internal("cannot write " + target.string());
  }
  return Status::Ok();
}

// libarchive may have no message for an error: never build a string from NULL.
std::string ArchiveError(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown error";
}

Status ExtractTar(const fs::path& source, const fs::path& dest, Budget& budget) {
  const std::string origin = source.string();
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), source.c_str(), 1 << 16) != ARCHIVE_OK) {
    return InvalidArgument(origin + ": not a readable tar archive: " + ArchiveError(a.get()));
  }
  struct archive_entry* entry = nullptr;
  std::vector<char> buffer(1 << 20);
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return InvalidArgument(origin + ": corrupt tar archive: " + ArchiveError(a.get()));
    }
    RETURN_IF_ERROR(budget.AddEntry());
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    while (StartsWith(name, "./")) name = name.substr(2);
    if (name.empty() || name == ".") continue;
    RETURN_IF_ERROR(CheckEntry(origin, name));
    mode_t type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry) != nullptr || type == AE_IFLNK) {
      return InvalidArgument(origin + ": link entry \"" + name + "\" refused");
    }
    fs::path target = dest / name;
    std::error_code ec;
    if (type == AE_IFDIR) {
      fs::create_directories(target, ec);
      continue;
    }
    if (type != AE_IFREG) return InvalidArgument(origin + ": special file entry \"" + name + "\" refused");
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return Internal("cannot write " + target.string());
    while (true) {
      la_ssize_t got = archive_read_data(a.get(), buffer.data(), buffer.size());
      if (got < 0) return InvalidArgument(origin + ": corrupt entry \"" + name + "\": " + ArchiveError(a.get()));
      if (got == 0) break;
      RETURN_IF_ERROR(budget.AddBytes(static_cast<uint64_t>(got)));
      out.write(buffer.data(), got);
    }
    if (!out) return Internal("cannot write " + target.string());
  }
  return Status::Ok();
}

// The directory holding the model: `dir` itself, or its lone subdirectory
// when `dir` has no manifest and exactly one entry that is a directory.
fs::path ModelRoot(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / kManifestPath, ec)) return dir;
  fs::path only;
  int count = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name == "__MACOSX") continue;
    ++count;
    only = e.path();
  }
  if (count == 1 && fs::is_directory(only, ec) && !fs::is_symlink(only, ec)) return only;
  return dir;
}

}  // namespace

StatusOr<OpenedArchive> OpenModelArchive(const fs::path& source, const ExtractOptions& options) {
  std::error_code ec;
  if (!fs::exists(source, ec)) return NotFound("Model not found at: " + source.string());
  OpenedArchive opened;
  ArchiveKind kind = DetectArchiveKind(source);
  if (kind == ArchiveKind::kDirectory) {
    opened.model_dir = ModelRoot(source);
  } else {
    if (kind == ArchiveKind::kUnknown) {
      return InvalidArgument(source.string() + ": not a model archive (expected a .mar zip, a .tar.gz or a directory)");
    }
    ASSIGN_OR_RETURN(fs::path dest, MakeUniqueDir(options.extraction_root));
    const std::string origin = source.string();
    Budget budget{options, origin};
    Status st = kind == ArchiveKind::kZip ? ExtractZip(source, dest, budget) : ExtractTar(source, dest, budget);
    if (!st.ok()) {
      fs::remove_all(dest, ec);
      return st;
    }
    opened.extracted_dir = dest;
    opened.model_dir = ModelRoot(dest);
  }
  fs::path manifest_path = opened.model_dir / kManifestPath;
  if (fs::exists(manifest_path, ec)) {
    if (fs::file_size(manifest_path, ec) > (1u << 20)) {
      if (!opened.extracted_dir.empty()) fs::remove_all(opened.extracted_dir, ec);
      return InvalidArgument(source.string() + ": " + kManifestPath + " is larger than 1 MiB");
    }
    auto text = ReadFile(manifest_path);
    if (!text.ok()) return text.status();
    auto manifest = ParseManifest(*text, source.string());
    if (!manifest.ok()) {
      if (!opened.extracted_dir.empty()) fs::remove_all(opened.extracted_dir, ec);
      return manifest.status();
    }
    opened.manifest = *manifest;
  }
  return opened;
}

}  // namespace hearth::archive
