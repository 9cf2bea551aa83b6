#include "tools/bench/ab_compat.h"

#include <cmath>
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

// A --config JSON file's options as (long option, value) pairs.
StatusOr<std::vector<std::pair<std::string, std::string>>> ReadConfigJson(
    const std::string& path, const std::function<StatusOr<std::string>(const std::string&)>& read_file) {
  auto text = read_file(path);
  if (!text.ok()) return InvalidArgument("--config " + path + ": " + text.status().message());
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("--config " + path + ": expected a JSON object of benchmark-ab options");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : j.items()) {
    if (!ConfigKeys().count(key)) return InvalidArgument("--config " + path + ": unknown key \"" + key + "\"");
    std::string text_value;
    if (value.is_string()) {
      text_value = value.get<std::string>();
    } else if (value.is_boolean()) {
      text_value = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_float() && value.get<double>() == std::floor(value.get<double>()) &&
               std::fabs(value.get<double>()) < 1e15) {
      text_value = std::to_string(static_cast<long long>(value.get<double>()));  // 50.0 -> 50 for int options
    } else if (value.is_number()) {
      text_value = value.dump();
    } else {
      return InvalidArgument("--config " + path + ": \"" + key + "\" must be a string, number or boolean");
    }
    out.emplace_back("--" + key, text_value);
  }
  return out;
}

// Every spelling hearth-bench's parser accepts for a benchmark-ab option.
bool NamesOption(const std::string& token, const std::string& long_name) {
  static const std::map<std::string, std::vector<std::string>> others = {
      {"--url", {"-u"}},           {"--input", {"-i"}},     {"--concurrency", {"-c"}},
      {"--requests", {"-r"}},      {"--workers", {"-w"}},   {"--content_type", {"--content-type", "--ic"}},
      {"--batch_size", {"--batch-size"}}, {"--batch_delay", {"--batch-delay"}},
      {"--config_properties", {"--config-properties"}}, {"--report_location", {"--report-location"}},
      {"--inference_model_url", {"--inference-model-url"}}, {"--tmp_dir", {"--tmp-dir"}}};
  auto is = [&token](const std::string& name) { return token == name || StartsWith(token, name + "="); };
  if (is(long_name)) return true;
  auto it = others.find(long_name);
  if (it == others.end()) return false;
  for (const auto& name : it->second) {
    if (is(name)) return true;
  }
  return false;
}

// hearth-bench's options that take no value; every other "-x" token takes one.
bool IsFlag(const std::string& token) {
  static const std::set<std::string> flags = {"--raw-baseline", "--grpc", "--json", "--optimize",
                                              "--preprocess",   "-h",     "--help"};
  return flags.count(token) > 0;
}

}  // namespace

StatusOr<std::vector<std::string>> TranslateBenchmarkAbArgs(
    const std::vector<std::string>& args, const std::function<StatusOr<std::string>(const std::string&)>& read_file) {
  std::vector<std::string> out;
  std::vector<std::pair<std::string, std::string>> from_config;  // defaults: the command line wins
  bool next_is_value = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (next_is_value) {  // an option's value is never rewritten ("-H -e" stays)
      out.push_back(a);
      next_is_value = false;
      continue;
    }
    if (a == "--") {  // the rest is positional, as given
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    auto alias = ShortAliases().find(a);
    if (alias != ShortAliases().end()) {
      out.push_back(alias->second);
      next_is_value = true;
      continue;
    }
    if (a == "--config" || StartsWith(a, "--config=")) {
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
      auto options = ReadConfigJson(path, read_file);
      if (!options.ok()) return options.status();
      from_config.insert(from_config.end(), options->begin(), options->end());
      continue;
    }
    out.push_back(a);
    next_is_value = a.size() > 1 && a[0] == '-' && a.find('=') == std::string::npos && !IsFlag(a);
  }
  // The file's options go first, each only when the command line does not give it.
  std::vector<std::string> merged;
  for (const auto& [option, value] : from_config) {
    bool given = false;
    for (const auto& token : out) given = given || NamesOption(token, option);
    if (!given) merged.insert(merged.end(), {option, value});
  }
  merged.insert(merged.end(), out.begin(), out.end());
  return merged;
}

bool IsBenchmarkAbPreset(const std::string& plan) {
  static const std::set<std::string> presets = {"soak", "vgg11_1000r_10c", "vgg11_10000r_100c", "resnet152_batch",
                                                "resnet152_batch_docker", "bert_batch", "workflow_nmt"};
  return presets.count(plan) > 0;
}

}  // namespace hearth::bench
