#include "archive/war_manifest.h"

#include "common/json.h"

namespace hearth::archive {

StatusOr<WarManifest> ParseWarManifest(const std::string& text, const std::string& origin) {
  const std::string where = origin + ": " + kWarManifestPath;
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument(where + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) return InvalidArgument(where + " must be a JSON object");
  WarManifest m;
  auto str = [&](const Json& obj, const char* key, std::string& out) -> Status {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return InvalidArgument(where + ": \"" + key + "\" must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  RETURN_IF_ERROR(str(j, "createdOn", m.created_on));
  RETURN_IF_ERROR(str(j, "archiverVersion", m.archiver_version));
  auto workflow = j.find("workflow");
  if (workflow != j.end() && !workflow->is_null()) {
    if (!workflow->is_object()) return InvalidArgument(where + ": \"workflow\" must be an object");
    m.has_workflow = true;
    RETURN_IF_ERROR(str(*workflow, "workflowName", m.workflow_name));
    RETURN_IF_ERROR(str(*workflow, "specFile", m.spec_file));
    RETURN_IF_ERROR(str(*workflow, "handler", m.handler));
  }
  return m;
}

Status ValidateWarManifest(const WarManifest& m, const std::string& origin) {
  const std::string where = origin + ": " + kWarManifestPath + ": ";
  if (!m.has_workflow) return InvalidArgument(where + "Missing Workflow entry in manifest file.");
  if (m.workflow_name.empty()) return InvalidArgument(where + "Workflow name is not defined.");
  if (m.archiver_version.empty()) return InvalidArgument(where + "Workflow archive version is not defined.");
  if (m.created_on.empty()) return InvalidArgument(where + "Workflow archive createdOn is not defined.");
  if (m.spec_file.empty()) return InvalidArgument(where + "\"workflow.specFile\" is not defined.");
  return Status::Ok();
}

std::string SerializeWarManifest(const WarManifest& m) {
  Json workflow;
  workflow["workflowName"] = m.workflow_name;
  workflow["specFile"] = m.spec_file;
  workflow["handler"] = m.handler;
  Json j;
  j["createdOn"] = m.created_on;
  j["workflow"] = workflow;
  j["archiverVersion"] = m.archiver_version;
  return j.dump(2);
}

}  // namespace hearth::archive
