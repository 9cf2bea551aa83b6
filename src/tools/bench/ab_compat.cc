#include "tools/bench/ab_compat.h"

#include <map>
#include <set>

#include "common/json.h"
#include "common/strings.h"

namespace hearth::bench {
namespace {

// benchmark-ab's single-dash aliases -> the long names both tools accept.
const std::map<std::string, std::string>& ShortAliases() {
  static const std::map<std::string, std::string> aliases = {
      {"-ic", "--content_type"},    {"-bs", "--batch_size"},        {"-bd", "--batch_delay"},
      {"-cp", "--config_properties"}, {"-imu", "--inference_model_url"}, {"-rl", "--report_location"},
      {"-td", "--tmp_dir"},         {"-bp", "--backend_profiling"}, {"-hp", "--handler_profiling"},
      {"-gg", "--generate_graphs"}, {"-di", "--image"},             {"-dr", "--docker_runtime"},
      {"-e", "--exec_env"},         {"-g", "--gpus"},               {"-bb", "--benchmark_backend"}};
  return aliases;
}

// Keys of a benchmark-ab --config JSON file (its long option names).
const std::set<std::string>& ConfigKeys() {
  static const std::set<std::string> keys = {
      "url",           "exec_env",       "gpus",       "concurrency",       "requests",
      "batch_size",    "batch_delay",    "input",      "content_type",      "workers",
      "image",         "docker_runtime", "backend_profiling", "handler_profiling", "generate_graphs",
      "config_properties", "inference_model_url", "report_location", "tmp_dir", "benchmark_backend"};
  return keys;
}

bool EndsWithJson(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
}

StatusOr<std::vector<std::string>> ExpandConfigJson(
    const std::string& path, const std::function<StatusOr<std::string>(const std::string&)>& read_file) {
  auto text = read_file(path);
  if (!text.ok()) return InvalidArgument("--config " + path + ": " + text.status().message());
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("--config " + path + ": expected a JSON object of benchmark-ab options");
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : j.items()) {
    if (!ConfigKeys().count(key)) return InvalidArgument("--config " + path + ": unknown key \"" + key + "\"");
    std::string text_value;
    if (value.is_string()) {
      text_value = value.get<std::string>();
    } else if (value.is_boolean()) {
      text_value = value.get<bool>() ? "true" : "false";
    } else if (value.is_number()) {
      text_value = value.dump();
    } else {
      return InvalidArgument("--config " + path + ": \"" + key + "\" must be a string, number or boolean");
    }
    out.push_back("--" + key);
    out.push_back(text_value);
  }
  return out;
}

}  // namespace

StatusOr<std::vector<std::string>> TranslateBenchmarkAbArgs(
    const std::vector<std::string>& args, const std::function<StatusOr<std::string>(const std::string&)>& read_file) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto alias = ShortAliases().find(a);
    if (alias != ShortAliases().end()) {
      out.push_back(alias->second);
      continue;
    }
    if ((a == "--config" || StartsWith(a, "--config=")) ) {
      std::string path;
      if (a == "--config") {
        if (i + 1 >= args.size()) return InvalidArgument("--config needs a file");
        path = args[++i];
      } else {
        path = a.substr(9);
      }
      if (!EndsWithJson(path)) {
        out.insert(out.end(), {"--config_properties", path});
        continue;
      }
      auto expanded = ExpandConfigJson(path, read_file);
      if (!expanded.ok()) return expanded.status();
      out.insert(out.end(), expanded->begin(), expanded->end());
      continue;
    }
    out.push_back(a);
  }
  return out;
}

bool IsBenchmarkAbPreset(const std::string& plan) {
  static const std::set<std::string> presets = {"soak", "vgg11_1000r_10c", "vgg11_10000r_100c", "resnet152_batch",
                                                "resnet152_batch_docker", "bert_batch", "workflow_nmt"};
  return presets.count(plan) > 0;
}

}  // namespace hearth::bench
