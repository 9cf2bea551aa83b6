#include "config/model_config.h"

#include <yaml-cpp/yaml.h>

namespace hearth::config {
namespace {

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: a string
      long long i;
      if (YAML::convert<long long>::decode(node, i)) return i;
      double d;
      if (YAML::convert<double>::decode(node, d)) return d;
      bool b;
      if (YAML::convert<bool>::decode(node, b)) return b;
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace

StatusOr<ModelYamlConfig> ParseModelYaml(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  ModelYamlConfig c;
  if (root.IsNull()) return c;
  if (!root.IsMap()) return InvalidArgument(origin + ": expected a mapping of settings at the top level");
  try {
    c.all = YamlToJson(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": " + e.msg);
  }
  auto read_int = [&](const char* key, std::optional<int>& out) {
    const auto it = c.all.find(key);
    if (it == c.all.end() || it->is_null()) return;
    if (!it->is_number_integer()) {
      c.warnings.push_back(origin + ": " + key + " must be an integer, got " + it->dump() + "; ignored");
      return;
    }
    out = it->get<int>();
  };
  read_int("minWorkers", c.min_workers);
  read_int("maxWorkers", c.max_workers);
  read_int("batchSize", c.batch_size);
  read_int("maxBatchDelay", c.max_batch_delay_ms);
  read_int("responseTimeout", c.response_timeout_s);
  read_int("startupTimeout", c.startup_timeout_s);
  read_int("jobQueueSize", c.job_queue_size);
  read_int("maxRetryTimeoutInSec", c.max_retry_timeout_s);
  read_int("clientTimeoutInMills", c.client_timeout_ms);
  if (auto it = c.all.find("ipex_enable"); it != c.all.end()) {
    if (it->is_boolean()) c.ipex_enable = it->get<bool>();
    else c.warnings.push_back(origin + ": ipex_enable must be true or false; ignored");
  }
  if (auto it = c.all.find("batchClosing"); it != c.all.end() && !it->is_null()) {
    if (it->is_string() && (*it == "delay" || *it == "adaptive")) {
      c.batch_closing = it->get<std::string>();
    } else {
      c.warnings.push_back(origin + ": batchClosing must be \"delay\" or \"adaptive\", got " + it->dump() +
                           "; ignored");
    }
  }
  if (auto it = c.all.find("deviceType"); it != c.all.end() && it->is_string()) c.device_type = it->get<std::string>();
  return c;
}

}  // namespace hearth::config
