#include "archive/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <zip.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "archive/archive_reader.h"
#include "archive/manifest.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/strings.h"

namespace hearth::archive {
namespace fs = std::filesystem;

StatusOr<ArchiveFormat> ParseArchiveFormat(const std::string& name) {
  if (name == "default") return ArchiveFormat::kDefault;
  if (name == "zip-store") return ArchiveFormat::kZipStore;
  if (name == "tgz") return ArchiveFormat::kTgz;
  if (name == "no-archive") return ArchiveFormat::kNoArchive;
  return InvalidArgument("--archive-format must be one of default, zip-store, tgz, no-archive; got \"" + name + "\"");
}

fs::path ArchiveOutputPath(const fs::path& export_dir, const std::string& model_name, ArchiveFormat format) {
  switch (format) {
    case ArchiveFormat::kTgz: return export_dir / (model_name + ".tar.gz");
    case ArchiveFormat::kNoArchive: return export_dir / model_name;
    default: return export_dir / (model_name + ".mar");
  }
}

namespace {

std::string ArchiveError(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown error";
}

Status WriteZip(const std::vector<ArchiveEntry>& entries, const fs::path& tmp, bool compress) {
  int err = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) return Internal("cannot create " + tmp.string());
  // Literal contents must outlive zip_close, which is when libzip reads sources.
  std::vector<std::unique_ptr<std::string>> keep;
  for (const auto& e : entries) {
    zip_source_t* src = nullptr;
    if (e.source.empty()) {
      keep.push_back(std::make_unique<std::string>(e.contents));
      src = zip_source_buffer(z, keep.back()->data(), keep.back()->size(), 0);
    } else {
      // Streams the file at close time; never loads it whole.
      src = zip_source_file(z, e.source.c_str(), 0, -1);
    }
    if (!src) {
      std::string msg = zip_strerror(z);
      zip_discard(z);
      return InvalidArgument("cannot read " + (e.source.empty() ? e.archive_path : e.source.string()) + ": " + msg);
    }
    zip_int64_t index = zip_file_add(z, e.archive_path.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      std::string msg = zip_strerror(z);
      zip_source_free(src);
      zip_discard(z);
      return Internal("cannot add " + e.archive_path + ": " + msg);
    }
    zip_set_file_compression(z, static_cast<zip_uint64_t>(index), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                     static_cast<zip_uint32_t>((S_IFREG | 0644) << 16));
  }
  if (zip_close(z) != 0) {
    std::string msg = zip_strerror(z);
    zip_discard(z);
    return Internal("cannot write " + tmp.string() + ": " + msg);
  }
  return Status::Ok();
}

Status WriteTgz(const std::vector<ArchiveEntry>& entries, const fs::path& tmp, const std::string& top) {
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_add_filter_gzip(a.get());
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
    return Internal("cannot create " + tmp.string() + ": " + ArchiveError(a.get()));
  }
  std::vector<char> buffer(1 << 20);
  std::set<std::string> dirs;
  auto add_dir = [&](const std::string& path) -> Status {
    if (!dirs.insert(path).second) return Status::Ok();
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), (path + "/").c_str());
    archive_entry_set_filetype(entry.get(), AE_IFDIR);
    archive_entry_set_perm(entry.get(), 0755);
    archive_entry_set_mtime(entry.get(), time(nullptr), 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return Internal(std::string("cannot write ") + path + ": " + ArchiveError(a.get()));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(add_dir(top));
  for (const auto& e : entries) {
    std::string path = top + "/" + e.archive_path;
    // Parent directories first.
    for (size_t slash = path.find('/', top.size() + 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      RETURN_IF_ERROR(add_dir(path.substr(0, slash)));
    }
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), time(nullptr), 0);
    std::error_code ec;
    uint64_t size = e.source.empty() ? e.contents.size() : fs::file_size(e.source, ec);
    if (ec) return InvalidArgument("cannot read " + e.source.string() + ": " + ec.message());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return Internal("cannot write " + path + ": " + ArchiveError(a.get()));
    }
    if (e.source.empty()) {
      archive_write_data(a.get(), e.contents.data(), e.contents.size());
      continue;
    }
    std::ifstream in(e.source, std::ios::binary);
    if (!in) return InvalidArgument("cannot read " + e.source.string());
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      std::streamsize n = in.gcount();
      if (n > 0 && archive_write_data(a.get(), buffer.data(), static_cast<size_t>(n)) < 0) {
        return Internal("cannot write " + path + ": " + ArchiveError(a.get()));
      }
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Internal("cannot finish " + tmp.string() + ": " + ArchiveError(a.get()));
  }
  return Status::Ok();
}

Status WriteDirectory(const std::vector<ArchiveEntry>& entries, const fs::path& tmp) {
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) return Internal("cannot create " + tmp.string() + ": " + ec.message());
  for (const auto& e : entries) {
    fs::path target = tmp / e.archive_path;
    fs::create_directories(target.parent_path(), ec);
    if (e.source.empty()) {
      std::ofstream out(target, std::ios::binary);
      out << e.contents;
      if (!out) return Internal("cannot write " + target.string());
    } else {
      fs::copy_file(e.source, target, fs::copy_options::overwrite_existing, ec);
      if (ec) return InvalidArgument("cannot copy " + e.source.string() + ": " + ec.message());
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteModelArchive(const std::vector<ArchiveEntry>& entries, const fs::path& output,
                         const WriteOptions& options) {
  std::error_code ec;
  if (fs::exists(output, ec) && !options.overwrite) {
    return AlreadyExists(output.string() +
                         " already exists.\nPlease specify --force/-f option to overwrite the model archive output "
                         "file.\nSee -h/--help for more details.");
  }
  fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create the export path " + dir.string() + ": " + ec.message());
  // Written beside the output and renamed: never a half-written file under the final name.
  fs::path tmp = dir / ("." + output.filename().string() + ".tmp-" + RandomHex(6));
  Status st;
  switch (options.format) {
    case ArchiveFormat::kDefault: st = WriteZip(entries, tmp, true); break;
    case ArchiveFormat::kZipStore: st = WriteZip(entries, tmp, false); break;
    case ArchiveFormat::kTgz: st = WriteTgz(entries, tmp, options.model_name); break;
    case ArchiveFormat::kNoArchive: st = WriteDirectory(entries, tmp); break;
  }
  if (!st.ok()) {
    fs::remove_all(tmp, ec);
    return st;
  }
  if (fs::exists(output, ec)) {
    fs::path old = dir / ("." + output.filename().string() + ".old-" + RandomHex(6));
    fs::rename(output, old, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      return Internal("cannot replace " + output.string() + ": " + ec.message());
    }
    fs::rename(tmp, output, ec);
    fs::remove_all(old);
  } else {
    fs::rename(tmp, output, ec);
  }
  if (ec) {
    fs::remove_all(tmp);
    return Internal("cannot move the archive to " + output.string() + ": " + ec.message());
  }
  return Status::Ok();
}

StatusOr<std::string> DescribeArchive(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound("no such archive: " + path.string());
  std::ostringstream out;
  std::string manifest_text;
  std::vector<std::pair<std::string, std::string>> files;  // name, detail
  ArchiveKind kind = DetectArchiveKind(path);
  if (kind == ArchiveKind::kZip) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> z(zip_open(path.c_str(), ZIP_RDONLY, &err), zip_discard);
    if (!z) return InvalidArgument(path.string() + ": not a readable zip archive");
    zip_int64_t n = zip_get_num_entries(z.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      if (zip_stat_index(z.get(), i, 0, &st) != 0) continue;
      char detail[96];
      std::snprintf(detail, sizeof(detail), "%12llu bytes  %s", static_cast<unsigned long long>(st.size),
                    st.comp_method == ZIP_CM_STORE ? "stored" : "deflated");
      files.emplace_back(st.name, detail);
      if (std::string(st.name) == kManifestPath) {
        std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen_index(z.get(), i, 0), zip_fclose);
        if (f) {
          manifest_text.resize(st.size);
          zip_fread(f.get(), manifest_text.data(), st.size);
        }
      }
    }
  } else if (kind == ArchiveKind::kTarGz || kind == ArchiveKind::kDirectory) {
    fs::path dir = path;
    OpenedArchive opened;
    if (kind == ArchiveKind::kTarGz) {
      ExtractOptions o;
      o.extraction_root = TempDir() / "hearth-inspect";
      ASSIGN_OR_RETURN(opened, OpenModelArchive(path, o));
      dir = opened.model_dir;
    } else {
      ExtractOptions o;
      ASSIGN_OR_RETURN(opened, OpenModelArchive(path, o));
      dir = opened.model_dir;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (!e.is_regular_file()) continue;
      char detail[64];
      std::snprintf(detail, sizeof(detail), "%12llu bytes", static_cast<unsigned long long>(e.file_size()));
      files.emplace_back(fs::relative(e.path(), dir).string(), detail);
    }
    auto text = ReadFile(dir / kManifestPath);
    if (text.ok()) manifest_text = *text;
    if (!opened.extracted_dir.empty()) fs::remove_all(opened.extracted_dir, ec);
  } else {
    return InvalidArgument(path.string() + ": not a model archive (.mar zip, .tar.gz or directory)");
  }
  out << "Archive: " << path.string() << "\n";
  if (manifest_text.empty()) {
    out << "Manifest: none (" << kManifestPath << " missing)\n";
  } else {
    auto manifest = ParseManifest(manifest_text, path.string());
    out << "Manifest:\n" << manifest_text << "\n";
    if (!manifest.ok()) out << "  (invalid: " << manifest.status().message() << ")\n";
  }
  out << "Files (" << files.size() << "):\n";
  std::sort(files.begin(), files.end());
  for (const auto& [name, detail] : files) out << "  " << detail << "  " << name << "\n";
  return out.str();
}

}  // namespace hearth::archive
