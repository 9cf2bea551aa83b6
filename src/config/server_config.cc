#include "config/server_config.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <tuple>

#include "common/files.h"
#include "common/strings.h"
#include "config/java_properties.h"

extern char** environ;

namespace hearth::config {
namespace fs = std::filesystem;

Environment CurrentEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::string ListenAddress::ToString() const {
  if (scheme == "unix") return "unix:" + unix_path;
  return scheme + "://" + host + ":" + std::to_string(port);
}

StatusOr<ListenAddress> ParseListenAddress(const std::string& text, int default_port, int default_tls_port) {
  static const std::regex kPattern(R"(((https|http)://([^:^/]+)(:([0-9]+))?)|(unix:(/.*)))");
  std::smatch m;
  std::string t(Trim(text));
  if (!std::regex_match(t, m, kPattern)) return InvalidArgument("Invalid binding address: " + t);
  ListenAddress a;
  if (m[6].matched) {
    a.scheme = "unix";
    a.host.clear();
    a.unix_path = m[7].str();
    return a;
  }
  a.scheme = m[2].str();
  a.host = m[3].str();
  if (m[5].matched) {
    auto port = ParseInt(m[5].str());
    if (!port || *port > 65535) return InvalidArgument("Invalid binding address: " + t + " (bad port)");
    a.port = *port;
  } else {
    a.port = a.tls() ? default_tls_port : default_port;
  }
  return a;
}

namespace {

enum class KeyKind { kString, kInt, kBool, kAddress, kJson, kJvmOnly, kLater };

// Every key TorchServe 0.12 reads, and what Hearth does with it.
const std::map<std::string, KeyKind>& KnownKeys() {
  static const std::map<std::string, KeyKind> keys = {
      {"inference_address", KeyKind::kAddress},
      {"management_address", KeyKind::kAddress},
      {"metrics_address", KeyKind::kAddress},
      {"model_store", KeyKind::kString},
      {"workflow_store", KeyKind::kString},
      {"load_models", KeyKind::kString},
      {"models", KeyKind::kJson},
      {"default_workers_per_model", KeyKind::kInt},
      {"job_queue_size", KeyKind::kInt},
      {"default_response_timeout", KeyKind::kInt},
      {"default_startup_timeout", KeyKind::kInt},
      {"unregister_model_timeout", KeyKind::kInt},
      {"max_request_size", KeyKind::kInt},
      {"max_response_size", KeyKind::kInt},
      {"number_of_netty_threads", KeyKind::kInt},
      {"initial_worker_port", KeyKind::kInt},
      {"ipex_enable", KeyKind::kBool},
      {"batch_closing", KeyKind::kString},
      {"cpu_launcher_enable", KeyKind::kBool},
      {"cpu_launcher_args", KeyKind::kString},
      {"hearth_cpu_leftover", KeyKind::kString},
      {"hearth_threads_per_worker", KeyKind::kInt},
      {"hearth_io_spin_us", KeyKind::kInt},
      {"hearth_header_timeout_s", KeyKind::kInt},
      {"hearth_max_archive_bytes", KeyKind::kInt},
      {"hearth_idle_timeout_s", KeyKind::kInt},
      {"hearth_cpu_split_order", KeyKind::kLater},
      {"hearth_grpc_enable", KeyKind::kBool},
      {"hearth_cpu_pool_scope", KeyKind::kLater},
      {"hearth_cpu_binder", KeyKind::kLater},
      {"disable_token_authorization", KeyKind::kBool},
      {"enable_model_api", KeyKind::kBool},
      {"token_expiration_min", KeyKind::kInt},
      {"metrics_mode", KeyKind::kString},
      {"enable_metrics_api", KeyKind::kBool},
      {"metrics_config", KeyKind::kString},
      {"cors_allowed_origin", KeyKind::kString},
      {"cors_allowed_methods", KeyKind::kString},
      {"cors_allowed_headers", KeyKind::kString},
      {"private_key_file", KeyKind::kString},
      {"certificate_file", KeyKind::kString},
      {"allowed_urls", KeyKind::kString},
      {"model_snapshot", KeyKind::kJson},
      {"service_envelope", KeyKind::kString},
      {"default_service_handler", KeyKind::kString},
      {"decode_input_request", KeyKind::kBool},
      {"limit_max_image_pixels", KeyKind::kBool},
      {"blacklist_env_vars", KeyKind::kString},
      {"ts_open_inference_protocol", KeyKind::kBool},
      {"enable_envvars_config", KeyKind::kBool},
      {"use_env_allowed_urls", KeyKind::kBool},
      // Read by later features; accepted now.
      {"keystore", KeyKind::kLater},
      {"keystore_pass", KeyKind::kLater},
      {"keystore_type", KeyKind::kLater},
      {"grpc_inference_address", KeyKind::kString},
      {"grpc_management_address", KeyKind::kString},
      {"grpc_inference_port", KeyKind::kInt},
      {"grpc_management_port", KeyKind::kInt},
      {"grpc_inference_max_connection_age_ms", KeyKind::kInt},
      {"grpc_management_max_connection_age_ms", KeyKind::kInt},
      {"grpc_inference_max_connection_age_grace_ms", KeyKind::kInt},
      {"grpc_management_max_connection_age_grace_ms", KeyKind::kInt},
      {"enable_grpc_ssl", KeyKind::kBool},
      {"number_of_gpu", KeyKind::kLater},
      {"initial_distribution_port", KeyKind::kLater},
      {"install_py_dep_per_model", KeyKind::kLater},
      {"ipex_dtype", KeyKind::kLater},
      {"ts_header_key_sequence_id", KeyKind::kLater},
      {"ts_header_key_sequence_start", KeyKind::kLater},
      {"ts_header_key_sequence_end", KeyKind::kLater},
      {"model_server_home", KeyKind::kLater},
      {"debug", KeyKind::kLater},
      {"ipex_gpu_enable", KeyKind::kLater},
      {"model_metrics_auto_detect", KeyKind::kLater},
      {"disable_system_metrics", KeyKind::kBool},
      {"system_metrics_cmd", KeyKind::kLater},
      {"metric_time_interval", KeyKind::kInt},
      {"cpp_log_config", KeyKind::kLater},
      // Written into snapshots by TorchServe itself.
      {"version", KeyKind::kLater},
      {"python", KeyKind::kLater},
      {"tsConfigFile", KeyKind::kLater},
      // Only meaningful to the JVM/Netty frontend.
      {"netty_client_threads", KeyKind::kJvmOnly},
      {"prefer_direct_buffer", KeyKind::kJvmOnly},
      {"use_native_io", KeyKind::kJvmOnly},
      {"io_ratio", KeyKind::kJvmOnly},
      {"async_logging", KeyKind::kJvmOnly},
      {"vmargs", KeyKind::kJvmOnly},
      {"plugins_path", KeyKind::kJvmOnly},
  };
  return keys;
}

// Keys an environment variable may never set (TorchServe's exceptions).
bool EnvMayOverride(const std::string& key) {
  static const std::set<std::string> kNever = {"enable_envvars_config", "use_env_allowed_urls", "models",
                                               "model_snapshot", "metric_time_interval", "use_native_io",
                                               "io_ratio", "system_metrics_cmd", "version"};
  return !kNever.count(key);
}

std::string EnvNameFor(const std::string& key) {
  std::string upper = key;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (StartsWith(key, "ts_")) return upper;
  return "TS_" + upper;
}

// $$NAME$$ -> env[NAME].
StatusOr<std::string> SubstituteEnv(const std::string& value, const Environment& env) {
  static const std::regex kVar(R"(\$\$([A-Za-z_][A-Za-z0-9_]*)\$\$)");
  std::string out;
  auto begin = std::sregex_iterator(value.begin(), value.end(), kVar);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    auto found = env.find(m[1].str());
    if (found == env.end()) return InvalidArgument("Invalid Environment Variable " + m[1].str());
    out += value.substr(last, m.position(0) - last);
    out += found->second;
    last = m.position(0) + m.length(0);
  }
  out += value.substr(last);
  return out;
}

}  // namespace

std::string NewestSnapshot(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "";
  std::string best_path;
  std::string best_stamp;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (!EndsWith(name, ".cfg")) continue;
    std::string stamp = name.substr(0, name.find('-'));
    if (stamp.size() != 17 || !std::all_of(stamp.begin(), stamp.end(), ::isdigit)) continue;
    if (stamp > best_stamp) {
      best_stamp = stamp;
      best_path = entry.path().string();
    }
  }
  return best_path;
}

StatusOr<ServerConfig> BuildServerConfig(const std::map<std::string, std::string>& file_properties,
                                         const std::string& origin, const CliOptions& cli,
                                         const Environment& env) {
  ServerConfig c;
  std::map<std::string, std::string> props;
  for (const auto& [k, v] : file_properties) {
    auto value = SubstituteEnv(v, env);
    if (!value.ok()) return value.status().WithPrefix(origin + ": " + k);
    props[k] = *value;
  }
  // CLI overrides.
  if (cli.model_store) props["model_store"] = *cli.model_store;
  if (cli.workflow_store) props["workflow_store"] = *cli.workflow_store;
  if (!cli.models.empty()) props["load_models"] = Join(cli.models, ",");
  if (cli.enable_model_api) props["enable_model_api"] = "true";
  if (cli.disable_token_auth) props["disable_token_authorization"] = "true";
  // Environment overrides, only when the file asks for them.
  auto envvars = file_properties.find("enable_envvars_config");
  if (envvars != file_properties.end() && ParseJavaBool(Trim(envvars->second))) {
    for (const auto& [key, kind] : KnownKeys()) {
      if (!EnvMayOverride(key)) continue;
      auto found = env.find(EnvNameFor(key));
      if (found != env.end()) props[key] = found->second;
    }
  }

  bool warned_jvm = false;
  for (const auto& [key, raw] : props) {
    auto known = KnownKeys().find(key);
    if (known == KnownKeys().end()) {
      c.warnings.push_back(origin + ": unknown key \"" + key + "\" ignored");
      continue;
    }
    if (known->second == KeyKind::kJvmOnly && !warned_jvm) {
      c.warnings.push_back(origin + ": \"" + key + "\" and other JVM/Netty settings do not apply to Hearth; ignored");
      warned_jvm = true;
    }
  }

  auto where = [&](const std::string& key) { return origin + ": " + key; };
  auto get = [&](const std::string& key) -> const std::string* {
    auto it = props.find(key);
    return it == props.end() ? nullptr : &it->second;
  };
  auto get_string = [&](const std::string& key, std::string& out) {
    if (auto* v = get(key)) out = std::string(Trim(*v));
  };
  auto get_bool = [&](const std::string& key, bool& out) {
    if (auto* v = get(key)) out = ParseJavaBool(Trim(*v));
  };
  auto get_int = [&](const std::string& key, auto& out, long long min_value) -> Status {
    auto* v = get(key);
    if (!v) return Status::Ok();
    auto parsed = ParseInt64(*v);
    if (!parsed) return InvalidArgument(where(key) + ": expected an integer, got \"" + *v + "\"");
    if (*parsed < min_value) {
      return InvalidArgument(where(key) + ": must be >= " + std::to_string(min_value) + ", got " + *v);
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(*parsed);
    return Status::Ok();
  };
  auto get_address = [&](const std::string& key, ListenAddress& out, const char* fallback, int port,
                         int tls_port) -> Status {
    auto* v = get(key);
    auto parsed = ParseListenAddress(v ? *v : fallback, port, tls_port);
    if (!parsed.ok()) return parsed.status().WithPrefix(where(key));
    out = *parsed;
    return Status::Ok();
  };

  RETURN_IF_ERROR(get_address("inference_address", c.inference_address, "http://127.0.0.1:8080", 80, 443));
  RETURN_IF_ERROR(get_address("management_address", c.management_address, "http://127.0.0.1:8081", 8081, 8444));
  RETURN_IF_ERROR(get_address("metrics_address", c.metrics_address, "http://127.0.0.1:8082", 8082, 8445));
  get_string("model_store", c.model_store);
  c.workflow_store = c.model_store;
  get_string("workflow_store", c.workflow_store);
  get_string("load_models", c.load_models);
  if (auto* v = get("models"); v && !Trim(*v).empty()) {
    try {
      c.models = Json::parse(*v);
    } catch (const std::exception& e) {
      return InvalidArgument(where("models") + ": not valid JSON: " + e.what());
    }
    if (!c.models.is_object()) return InvalidArgument(where("models") + ": expected a JSON object");
  }
  RETURN_IF_ERROR(get_int("default_workers_per_model", c.default_workers_per_model, 0));
  RETURN_IF_ERROR(get_int("job_queue_size", c.job_queue_size, 1));
  RETURN_IF_ERROR(get_int("default_response_timeout", c.default_response_timeout_s, 0));
  RETURN_IF_ERROR(get_int("default_startup_timeout", c.default_startup_timeout_s, 0));
  RETURN_IF_ERROR(get_int("unregister_model_timeout", c.unregister_model_timeout_s, 0));
  RETURN_IF_ERROR(get_int("max_request_size", c.max_request_size, 1));
  RETURN_IF_ERROR(get_int("max_response_size", c.max_response_size, 1));
  RETURN_IF_ERROR(get_int("number_of_netty_threads", c.number_of_netty_threads, 0));
  RETURN_IF_ERROR(get_int("hearth_io_spin_us", c.io_spin_us, 0));
  if (c.io_spin_us > 1000000) {
    return InvalidArgument(where("hearth_io_spin_us") + ": must be <= 1000000 (one second), got " +
                           std::to_string(c.io_spin_us));
  }
  RETURN_IF_ERROR(get_int("initial_worker_port", c.initial_worker_port, 1));
  RETURN_IF_ERROR(get_int("token_expiration_min", c.token_expiration_min, 0));
  RETURN_IF_ERROR(get_int("hearth_threads_per_worker", c.threads_per_worker, 0));
  RETURN_IF_ERROR(get_int("metric_time_interval", c.metric_time_interval_s, 1));
  RETURN_IF_ERROR(get_int("hearth_header_timeout_s", c.header_timeout_s, 1));
  RETURN_IF_ERROR(get_int("hearth_idle_timeout_s", c.idle_timeout_s, 1));
  RETURN_IF_ERROR(get_int("hearth_max_archive_bytes", c.max_archive_bytes, 1));
  RETURN_IF_ERROR(get_int("grpc_inference_port", c.grpc_inference_port, 0));
  RETURN_IF_ERROR(get_int("grpc_management_port", c.grpc_management_port, 0));
  for (auto [key, host, port] : {std::tuple{"grpc_inference_address", &c.grpc_inference_host, &c.grpc_inference_port},
                                 std::tuple{"grpc_management_address", &c.grpc_management_host,
                                            &c.grpc_management_port}}) {
    std::string value;
    get_string(key, value);
    if (value.empty()) continue;
    // A host ("0.0.0.0"), or host:port; an http:// prefix is tolerated.
    std::string_view v = value;
    if (size_t scheme = v.find("://"); scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
    size_t colon = v.rfind(':');
    if (colon != std::string_view::npos && v.find(':') == colon) {
      auto p = ParseInt(v.substr(colon + 1));
      if (!p || *p < 0 || *p > 65535) {
        return InvalidArgument(where(key) + ": \"" + value + "\" is not host or host:port");
      }
      *port = *p;
      v = v.substr(0, colon);
    }
    *host = std::string(v);
  }
  for (auto [key, out] : {std::pair{"grpc_inference_max_connection_age_ms", &c.grpc_inference_max_connection_age_ms},
                          std::pair{"grpc_management_max_connection_age_ms", &c.grpc_management_max_connection_age_ms},
                          std::pair{"grpc_inference_max_connection_age_grace_ms",
                                    &c.grpc_inference_max_connection_age_grace_ms},
                          std::pair{"grpc_management_max_connection_age_grace_ms",
                                    &c.grpc_management_max_connection_age_grace_ms}}) {
    RETURN_IF_ERROR(get_int(key, *out, 0));
  }
  get_bool("enable_grpc_ssl", c.enable_grpc_ssl);
  get_bool("hearth_grpc_enable", c.grpc_enable);
  get_bool("ipex_enable", c.ipex_enable);
  get_string("batch_closing", c.batch_closing);
  if (c.batch_closing != "delay" && c.batch_closing != "adaptive") {
    return InvalidArgument(where("batch_closing") + ": expected \"delay\" or \"adaptive\", got \"" + c.batch_closing +
                           "\"");
  }
  get_bool("disable_system_metrics", c.disable_system_metrics);
  get_bool("cpu_launcher_enable", c.cpu_launcher_enable);
  get_string("cpu_launcher_args", c.cpu_launcher_args);
  get_bool("disable_token_authorization", c.disable_token_authorization);
  get_bool("enable_model_api", c.enable_model_api);
  get_string("metrics_mode", c.metrics_mode);
  if (c.metrics_mode != "log" && c.metrics_mode != "prometheus" && c.metrics_mode != "legacy") {
    c.warnings.push_back(where("metrics_mode") + ": unknown mode \"" + c.metrics_mode + "\", using log");
    c.metrics_mode = "log";
  }
  get_bool("enable_metrics_api", c.enable_metrics_api);
  get_string("metrics_config", c.metrics_config);
  get_string("cors_allowed_origin", c.cors_allowed_origin);
  get_string("cors_allowed_methods", c.cors_allowed_methods);
  get_string("cors_allowed_headers", c.cors_allowed_headers);
  get_string("private_key_file", c.private_key_file);
  get_string("certificate_file", c.certificate_file);
  get_string("allowed_urls", c.allowed_urls);
  get_string("model_snapshot", c.model_snapshot);
  get_string("service_envelope", c.service_envelope);
  get_string("default_service_handler", c.default_service_handler);
  get_bool("decode_input_request", c.decode_input_request);
  get_bool("limit_max_image_pixels", c.limit_max_image_pixels);
  get_string("blacklist_env_vars", c.blacklist_env_vars);
  get_bool("ts_open_inference_protocol", c.ts_open_inference_protocol);
  if (auto it = env.find("TS_OPEN_INFERENCE_PROTOCOL"); it != env.end() && it->second == "oip") {
    c.ts_open_inference_protocol = true;
  }
  if (!c.allowed_urls.empty()) {
    for (const std::string& pattern : Split(c.allowed_urls, ',')) {
      try {
        std::regex re(pattern, std::regex::icase);
      } catch (const std::regex_error& e) {
        return InvalidArgument(where("allowed_urls") + ": invalid regular expression \"" + pattern + "\"");
      }
    }
  }
  c.no_config_snapshots = cli.no_config_snapshots;
  if (auto it = env.find("LOG_LOCATION"); it != env.end() && !it->second.empty()) c.log_location = it->second;
  if (auto it = env.find("METRICS_LOCATION"); it != env.end() && !it->second.empty()) c.metrics_location = it->second;
  if (auto it = env.find("TEMP"); it != env.end() && !it->second.empty()) {
    c.temp_dir = it->second;
  } else {
    c.temp_dir = TempDir().string();
  }
  c.properties = props;
  for (const std::string& flag : cli.ignored_flags) {
    c.warnings.push_back(flag + " is a TorchServe (JVM) option; Hearth ignores it");
  }
  return c;
}

StatusOr<ServerConfig> ResolveServerConfig(const CliOptions& cli, const Environment& env) {
  std::string path;
  std::string source = "defaults";
  if (auto it = env.find("TS_CONFIG_FILE"); it != env.end() && !it->second.empty()) {
    path = it->second;
    source = "TS_CONFIG_FILE";
  } else if (cli.ts_config) {
    path = *cli.ts_config;
    source = "--ts-config";
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return NotFound("--ts-config file not found: " + path);
  } else {
    std::string log_dir = "logs";
    if (auto it = env.find("LOG_LOCATION"); it != env.end() && !it->second.empty()) log_dir = it->second;
    std::string snapshot = cli.no_config_snapshots ? "" : NewestSnapshot(log_dir + "/config");
    std::error_code ec;
    if (!snapshot.empty()) {
      path = snapshot;
      source = "snapshot";
    } else if (fs::is_regular_file("config.properties", ec)) {
      path = "config.properties";
      source = "./config.properties";
    }
  }
  std::map<std::string, std::string> file_props;
  if (!path.empty()) {
    auto text = ReadFile(path);
    if (!text.ok()) return NotFound("config file not found or unreadable: " + path);
    for (auto& p : ParseJavaProperties(*text)) file_props[p.key] = p.value;
  }
  ASSIGN_OR_RETURN(ServerConfig c, BuildServerConfig(file_props, path.empty() ? "defaults" : path, cli, env));
  c.source = source;
  c.config_file = path;
  if (cli.model_store) {
    std::error_code ec;
    if (!fs::is_directory(*cli.model_store, ec)) return NotFound("--model-store directory not found: " + *cli.model_store);
  }
  if (cli.workflow_store) {
    std::error_code ec;
    if (!fs::is_directory(*cli.workflow_store, ec)) {
      return NotFound("--workflow-store directory not found: " + *cli.workflow_store);
    }
  }
  if (c.model_store.empty()) return InvalidArgument("Missing mandatory parameter --model-store");
  return c;
}

}  // namespace hearth::config
