#include "tools/archiver/workflow_archiver.h"

#include "archive/archive_writer.h"
#include "archive/manifest.h"
#include "archive/war_manifest.h"
#include "common/strings.h"
#include "tools/archiver/entry_list.h"

namespace hearth::tools {
namespace fs = std::filesystem;

StatusOr<fs::path> CreateWorkflowArchive(const WorkflowArchiverOptions& o) {
  if (!archive::IsValidModelName(o.workflow_name)) {
    return InvalidArgument("Workflow name contains special characters.\nThe allowed regular expression filter for "
                           "workflow name is: ^[A-Za-z0-9][A-Za-z0-9_\\-.]*$ (got \"" + o.workflow_name + "\")");
  }
  std::error_code ec;
  if (!fs::is_directory(o.export_path, ec)) {
    return InvalidArgument("Given export-path " + o.export_path +
                           " is not a directory. Point to a valid export-path directory.");
  }
  const fs::path output = fs::path(o.export_path) / (o.workflow_name + ".war");
  if (fs::exists(output, ec) && !o.force) {
    return AlreadyExists(output.string() + " already exists.\nPlease specify --force/-f option to overwrite the "
                         "workflow archive output file.\nSee -h/--help for more details.");
  }
  archive::WarManifest m;
  m.has_workflow = true;
  m.created_on = ArchiveCreatedOn();
  m.workflow_name = o.workflow_name;
  m.archiver_version = archive::kWorkflowArchiverVersion;
  EntryList entries;
  const fs::path spec = o.spec_file;
  RETURN_IF_ERROR(entries.AddFile(spec, spec.filename().string(), "--spec-file"));
  m.spec_file = spec.filename().string();
  if (!o.handler.empty()) {
    const fs::path handler = o.handler;
    RETURN_IF_ERROR(entries.AddFile(handler, handler.filename().string(), "--handler"));
    m.handler = handler.filename().string();
  }
  for (const std::string& piece : Split(o.extra_files, ',')) {
    const std::string item(Trim(piece));
    if (item.empty()) continue;
    const fs::path path = item;
    if (fs::is_directory(path, ec)) {
      RETURN_IF_ERROR(entries.AddDirectory(path, "--extra-files", fs::absolute(path).filename().string()));
    } else {
      RETURN_IF_ERROR(entries.AddFile(path, path.filename().string(), "--extra-files"));
    }
  }
  entries.entries().push_back({archive::kWarManifestPath, {}, archive::SerializeWarManifest(m)});
  archive::WriteOptions write;
  write.overwrite = true;  // checked above, with torch-workflow-archiver's message
  write.model_name = o.workflow_name;
  RETURN_IF_ERROR(archive::WriteModelArchive(entries.entries(), output, write));
  return output;
}

}  // namespace hearth::tools
