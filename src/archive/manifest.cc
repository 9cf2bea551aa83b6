#include "archive/manifest.h"

#include <regex>

namespace hearth::archive {

bool IsValidModelName(const std::string& name) {
  static const std::regex kName(R"([A-Za-z0-9][A-Za-z0-9_\-.]*)");
  return std::regex_match(name, kName);
}

bool IsValidRuntime(const std::string& runtime) {
  return runtime == "python" || runtime == "python3" || runtime == "LSP" || runtime == "lsp";
}

StatusOr<Manifest> ParseManifest(const std::string& text, const std::string& origin) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument(origin + ": " + kManifestPath + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) return InvalidArgument(origin + ": " + kManifestPath + " must be a JSON object");
  Manifest m;
  auto str = [&](const Json& obj, const char* key, std::string& out) -> Status {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) {
      return InvalidArgument(origin + ": " + kManifestPath + ": \"" + key + "\" must be a string");
    }
    out = it->get<std::string>();
    return Status::Ok();
  };
  RETURN_IF_ERROR(str(j, "createdOn", m.created_on));
  RETURN_IF_ERROR(str(j, "runtime", m.runtime));
  RETURN_IF_ERROR(str(j, "archiverVersion", m.archiver_version));
  if (m.runtime.empty()) m.runtime = "python";
  if (!IsValidRuntime(m.runtime)) {
    return InvalidArgument(origin + ": " + kManifestPath + ": invalid runtime \"" + m.runtime + "\"");
  }
  auto model = j.find("model");
  if (model == j.end() || !model->is_object()) {
    return InvalidArgument(origin + ": " + kManifestPath + ": missing \"model\" section");
  }
  RETURN_IF_ERROR(str(*model, "modelName", m.model_name));
  RETURN_IF_ERROR(str(*model, "serializedFile", m.serialized_file));
  RETURN_IF_ERROR(str(*model, "handler", m.handler));
  RETURN_IF_ERROR(str(*model, "modelFile", m.model_file));
  RETURN_IF_ERROR(str(*model, "modelVersion", m.model_version));
  RETURN_IF_ERROR(str(*model, "requirementsFile", m.requirements_file));
  RETURN_IF_ERROR(str(*model, "configFile", m.config_file));
  if (m.model_name.empty()) {
    return InvalidArgument(origin + ": " + kManifestPath + ": missing \"model.modelName\"");
  }
  if (m.model_version.empty()) m.model_version = "1.0";
  static const char* kKnown[] = {"modelName", "serializedFile", "handler", "modelFile",
                                 "modelVersion", "requirementsFile", "configFile"};
  for (auto it = model->begin(); it != model->end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) m.extra_model_keys[it.key()] = it.value();
  }
  return m;
}

std::string SerializeManifest(const Manifest& m) {
  Json j;
  j["createdOn"] = m.created_on;
  j["runtime"] = m.runtime;
  Json model;
  model["modelName"] = m.model_name;
  if (!m.serialized_file.empty()) model["serializedFile"] = m.serialized_file;
  model["handler"] = m.handler;
  if (!m.model_file.empty()) model["modelFile"] = m.model_file;
  if (!m.model_version.empty()) model["modelVersion"] = m.model_version;
  if (!m.requirements_file.empty()) model["requirementsFile"] = m.requirements_file;
  if (!m.config_file.empty()) model["configFile"] = m.config_file;
  for (auto it = m.extra_model_keys.begin(); it != m.extra_model_keys.end(); ++it) model[it.key()] = it.value();
  j["model"] = model;
  j["archiverVersion"] = m.archiver_version;
  return PythonJson(j);
}

}  // namespace hearth::archive
