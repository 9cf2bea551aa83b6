#include "workflow/spec.h"

#include <yaml-cpp/yaml.h>

#include <cstring>

#include "common/strings.h"

namespace hearth::workflow {
namespace {

struct SettingKey {
  const char* key;
  int NodeSettings::*field;
  int minimum;
};

constexpr SettingKey kSettingKeys[] = {
    {"min-workers", &NodeSettings::min_workers, 0},   {"max-workers", &NodeSettings::max_workers, 1},
    {"batch-size", &NodeSettings::batch_size, 1},     {"max-batch-delay", &NodeSettings::max_batch_delay_ms, 0},
    {"retry-attempts", &NodeSettings::retry_attempts, 0}, {"timeout-ms", &NodeSettings::timeout_ms, 1},
};

const SettingKey* FindSettingKey(const std::string& key) {
  for (const SettingKey& k : kSettingKeys) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

Status ReadSetting(const YAML::Node& value, const SettingKey& key, const std::string& field, NodeSettings& out) {
  const std::string text = value.IsScalar() ? value.Scalar() : "";
  auto parsed = ParseInt(text);
  if (!parsed || *parsed < key.minimum) {
    return InvalidArgument(field + " must be a whole number >= " + std::to_string(key.minimum) + ", got \"" +
                           (value.IsScalar() ? text : "a " + std::string(value.IsMap() ? "mapping" : "list")) +
                           "\"");
  }
  out.*key.field = *parsed;
  return Status::Ok();
}

}  // namespace

StatusOr<WorkflowSpec> ParseWorkflowSpec(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) return InvalidArgument(origin + ": must be a mapping with models: and dag:");
  const YAML::Node models = root["models"];
  if (!models || models.IsNull()) return InvalidArgument(origin + ": models: is missing");
  if (!models.IsMap()) return InvalidArgument(origin + ": models: must be a mapping");
  const YAML::Node dag = root["dag"];
  if (!dag || dag.IsNull()) return InvalidArgument(origin + ": dag: is missing");
  if (!dag.IsMap()) return InvalidArgument(origin + ": dag: must be a mapping of node: [children]");

  WorkflowSpec spec;
  // Defaults first, wherever they are written.
  for (const auto& kv : models) {
    const std::string key = kv.first.as<std::string>();
    if (const SettingKey* k = FindSettingKey(key)) {
      RETURN_IF_ERROR(ReadSetting(kv.second, *k, origin + ": models." + key, spec.defaults));
    }
  }
  for (const auto& kv : models) {
    const std::string key = kv.first.as<std::string>();
    if (FindSettingKey(key)) continue;
    const std::string field = origin + ": models." + key;
    if (!kv.second.IsMap()) return InvalidArgument(field + " must be a mapping with url: (a model archive)");
    ModelNodeSpec node{key, "", spec.defaults};
    for (const auto& setting : kv.second) {
      const std::string name = setting.first.as<std::string>();
      if (name == "url") {
        if (!setting.second.IsScalar()) return InvalidArgument(field + ".url must be a string");
        node.url = std::string(Trim(setting.second.Scalar()));
      } else if (const SettingKey* k = FindSettingKey(name)) {
        RETURN_IF_ERROR(ReadSetting(setting.second, *k, field + "." + name, node.settings));
      }
    }
    if (node.url.empty()) return InvalidArgument(field + ".url is missing: a model node needs its archive");
    if (node.settings.min_workers > node.settings.max_workers) {
      return InvalidArgument(field + ": min-workers (" + std::to_string(node.settings.min_workers) +
                             ") is more than max-workers (" + std::to_string(node.settings.max_workers) + ")");
    }
    spec.models.push_back(std::move(node));
  }

  std::string text = "{";
  for (const auto& kv : dag) {
    DagEntry entry{kv.first.as<std::string>(), {}};
    const std::string field = origin + ": dag." + entry.node;
    if (Trim(entry.node).empty()) return InvalidArgument(origin + ": dag: a node has an empty name");
    if (kv.second.IsSequence()) {
      for (const auto& child : kv.second) {
        if (!child.IsScalar()) return InvalidArgument(field + " must be a list of node names");
        if (Trim(child.Scalar()).empty()) continue;  // TorchServe skips blank children
        entry.children.push_back(std::string(Trim(child.Scalar())));
      }
    } else if (!kv.second.IsNull()) {
      return InvalidArgument(field + " must be a list of node names, e.g. [" + entry.node + "_next]");
    }
    if (text.size() > 1) text += ", ";
    text += entry.node + "=[" + Join(entry.children, ", ") + "]";
    spec.dag.push_back(std::move(entry));
  }
  spec.dag_text = text + "}";
  if (spec.dag.empty()) return InvalidArgument(origin + ": dag: has no nodes");
  return spec;
}

}  // namespace hearth::workflow
