#include "tools/archiver/archiver.h"

#include <glob.h>

#include <algorithm>

#include "common/files.h"
#include "common/strings.h"
#include "config/model_config.h"
#include "tools/archiver/entry_list.h"

namespace hearth::tools {
namespace fs = std::filesystem;

namespace {

constexpr char kArchiverVersion[] = "0.12.0";

}  // namespace

bool IsBuiltinHandler(const std::string& handler) {
  static const char* kBuiltins[] = {"base_handler",   "image_classifier",      "image_segmenter", "object_detector",
                                    "text_classifier", "dali_image_classifier", "vllm_handler",    "trt_llm_handler",
                                    "tensor"};
  for (const char* b : kBuiltins) {
    if (handler == b) return true;
  }
  return false;
}

StatusOr<ArchivePlan> PlanArchive(const ArchiverOptions& o) {
  if (!archive::IsValidModelName(o.model_name)) {
    return InvalidArgument("Model name contains special characters.\nThe allowed regular expression filter for model "
                           "name is: ^[A-Za-z0-9][A-Za-z0-9_\\-.]*$ (got \"" + o.model_name + "\")");
  }
  if (o.handler.empty()) return InvalidArgument("--handler is required");
  if (o.runtime != "python" && o.runtime != "python3" && o.runtime != "LSP") {
    return InvalidArgument("--runtime must be python, python3 or LSP; got \"" + o.runtime + "\"");
  }
  ArchivePlan plan;
  ASSIGN_OR_RETURN(plan.write.format, archive::ParseArchiveFormat(o.archive_format));
  plan.write.model_name = o.model_name;
  plan.write.overwrite = o.force;
  plan.output = archive::ArchiveOutputPath(o.export_path, o.model_name, plan.write.format);

  archive::Manifest& m = plan.manifest;
  m.created_on = ArchiveCreatedOn();
  m.runtime = o.runtime;
  m.model_name = o.model_name;
  m.model_version = o.version;
  m.archiver_version = kArchiverVersion;
  EntryList entries;
  if (!o.serialized_file.empty()) {
    fs::path p = o.serialized_file;
    RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--serialized-file"));
    m.serialized_file = p.filename().string();
  }
  if (!o.model_file.empty()) {
    fs::path p = o.model_file;
    RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--model-file"));
    m.model_file = p.filename().string();
  }
  // Handler: a built-in name, a Python file (file.py[:function]), or a C++
  // handler library (lib:Class -> lib.so).
  if (IsBuiltinHandler(o.handler)) {
    m.handler = o.handler;
  } else {
    std::string path = o.handler, suffix;
    size_t colon = o.handler.rfind(':');
    if (colon != std::string::npos && colon > 0) {
      path = o.handler.substr(0, colon);
      suffix = o.handler.substr(colon);
    }
    std::error_code ec;
    if (!EndsWith(path, ".py") && !suffix.empty() && !fs::is_regular_file(path, ec)) {
      if (!EndsWith(path, ".so")) path += ".so";
    }
    if (!fs::is_regular_file(path, ec)) {
      return InvalidArgument("--handler: \"" + o.handler + "\" is not a built-in handler and " + path +
                             " does not exist (built-in handlers: image_classifier, image_segmenter, object_detector, "
                             "text_classifier, base_handler, tensor)");
    }
    fs::path p = path;
    RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--handler"));
    std::string stem = p.filename().string();
    if (EndsWith(stem, ".so") && !suffix.empty()) stem = stem.substr(0, stem.size() - 3);
    m.handler = stem + suffix;
  }
  if (!o.requirements_file.empty()) {
    fs::path p = o.requirements_file;
    RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--requirements-file"));
    m.requirements_file = p.filename().string();
  }
  if (!o.config_file.empty()) {
    fs::path p = o.config_file;
    auto text = ReadFile(p);
    if (!text.ok()) return InvalidArgument("--config-file: cannot read " + p.string());
    auto yaml = config::ParseModelYaml(*text, p.string());
    if (!yaml.ok()) return yaml.status().WithPrefix("--config-file");
    RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--config-file"));
    m.config_file = p.filename().string();
  }
  for (const std::string& item : Split(o.extra_files, ',')) {
    std::string pattern(Trim(item));
    if (pattern.empty()) continue;
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (matches.empty()) return InvalidArgument("--extra-files: no such file or directory: " + pattern);
    std::sort(matches.begin(), matches.end());
    for (const auto& match : matches) {
      std::error_code ec;
      fs::path p = match;
      if (fs::is_directory(p, ec)) {
        RETURN_IF_ERROR(entries.AddDirectory(p, "--extra-files"));
      } else {
        if (SkippedArchiveName(p.filename().string())) continue;
        RETURN_IF_ERROR(entries.AddFile(p, p.filename().string(), "--extra-files"));
      }
    }
  }
  plan.entries = std::move(entries.entries());
  plan.entries.push_back({archive::kManifestPath, {}, archive::SerializeManifest(m)});
  return plan;
}

StatusOr<fs::path> CreateArchive(const ArchiverOptions& options) {
  ASSIGN_OR_RETURN(ArchivePlan plan, PlanArchive(options));
  RETURN_IF_ERROR(archive::WriteModelArchive(plan.entries, plan.output, plan.write));
  return plan.output;
}

}  // namespace hearth::tools
