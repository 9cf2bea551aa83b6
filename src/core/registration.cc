#include "core/registration.h"

#include <cstring>
#include <regex>

#include "archive/worker_runtime.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/strings.h"
#include "core/downloader.h"

namespace hearth::core {
namespace fs = std::filesystem;

namespace {

bool MatchesAllowedUrls(const std::string& url, const std::string& patterns) {
  for (const std::string& p : Split(patterns, ',')) {
    try {
      if (std::regex_match(url, std::regex(std::string(Trim(p)), std::regex::icase))) return true;
    } catch (const std::regex_error&) {
    }
  }
  return false;
}

// JSON value for a model/version from the "models" config key.
Json StartupJsonFor(const Json& models, const std::string& name, const std::string& version) {
  auto m = models.find(name);
  if (m == models.end() || !m->is_object()) return Json::object();
  auto v = m->find(version);
  if (v == m->end() || !v->is_object()) return Json::object();
  return *v;
}

std::optional<int> PositiveInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_integer() && it->get<int>() > 0) return it->get<int>();
  if (it->is_string()) {
    auto v = ParseInt(it->get<std::string>());
    if (v && *v > 0) return v;
  }
  return std::nullopt;
}

// Downloads an http(s) URL into the model store; returns the stored file.
StatusOr<fs::path> Download(const std::string& url, const config::ServerConfig& config, const ArchiveStore& store) {
  if (!MatchesAllowedUrls(url, config.allowed_urls)) {
    return NotFound("Given URL " + url + " does not match any allowed URL(s)");
  }
  std::string file = fs::path(url.substr(0, url.find('?'))).filename().string();
  std::error_code ec;
  if (file.empty() || file.find("..") != std::string::npos) {
    return InvalidArgument("Failed to download archive from: " + url + " (no file name in the URL)");
  }
  const fs::path target = store.dir / file;
  if (fs::exists(target, ec)) return Internal(store.already_exists + file);
  RETURN_IF_ERROR(DownloadFile(url, target, DownloadOptions{}));
  HLOG_INFO("downloaded {} into {} as {}", url, store.dir.string(), file);
  return target;
}

// "NAME=value" -> value, for NAME in `env`; nullopt when absent.
std::optional<std::string> EnvValue(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

// model-config.yaml `envvars:` and the model's own thread count.
Status PlanThreads(const config::ModelYamlConfig& yaml, const std::vector<std::string>* server_env, ModelSettings& s) {
  if (auto it = yaml.all.find("envvars"); it != yaml.all.end() && !it->is_null()) {
    if (!it->is_object()) {
      return InvalidArgument(s.url + ": model-config.yaml: envvars must be a mapping of NAME: value");
    }
    for (auto v = it->begin(); v != it->end(); ++v) {
      const std::string& name = v.key();
      const bool valid_name = !name.empty() && name.find('=') == std::string::npos;
      if (!valid_name || v->is_object() || v->is_array() || v->is_null()) {
        return InvalidArgument(s.url + ": model-config.yaml: envvars." + name + " must be a plain value");
      }
      s.env.push_back(name + "=" + (v->is_string() ? v->get<std::string>() : v->dump()));
    }
  }
  for (const char* name : {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}) {
    std::optional<std::string> value = EnvValue(s.env, name);
    std::string from = "model-config.yaml envvars";
    if (!value && server_env) {
      value = EnvValue(*server_env, name);
      from = "the server's environment";
    }
    if (!value) continue;
    auto n = ParseInt(Trim(*value));
    if (!n || *n < 1) {
      return InvalidArgument(s.url + ": " + name + "=" + *value + " from " + from + " must be a whole number >= 1");
    }
    s.own_threads = *n;
    s.own_threads_from = std::string(name) + "=" + std::to_string(*n) + " from " + from;
    break;
  }
  return Status::Ok();
}

}  // namespace

std::string ModelNameFromFile(const std::string& file_name) {
  std::string stem = fs::path(file_name).filename().string();
  for (const char* ext : {".tar.gz", ".mar", ".model", ".tgz"}) {
    if (EndsWith(stem, ext)) {
      stem = stem.substr(0, stem.size() - std::strlen(ext));
      break;
    }
  }
  for (size_t i = 0; i < stem.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(stem[i]);
    bool word = std::isalnum(c) || c == '_';
    if (!word || (i == 0 && c == '_')) stem[i] = '_';
  }
  return stem;
}

void ArchiveForRegistration::Discard() const {
  std::error_code ec;
  if (!opened.extracted_dir.empty()) fs::remove_all(opened.extracted_dir, ec);
  if (!downloaded_file.empty()) fs::remove(downloaded_file, ec);
}

StatusOr<ArchiveForRegistration> FetchAndOpenArchive(const std::string& url, const config::ServerConfig& config) {
  return FetchAndOpenArchive(url, config, ArchiveStore{config.model_store});
}

StatusOr<ArchiveForRegistration> FetchAndOpenArchive(const std::string& url, const config::ServerConfig& config,
                                                     const ArchiveStore& store) {
  ArchiveForRegistration out;
  out.url = url;
  fs::path source;
  if (StartsWith(ToLower(url), "http://") || StartsWith(ToLower(url), "https://")) {
    ASSIGN_OR_RETURN(source, Download(url, config, store));
    out.downloaded_file = source;
  } else if (StartsWith(url, "file://")) {
    source = url.substr(7);
  } else {
    if (url.find("..") != std::string::npos || url.find('/') != std::string::npos) {
      return NotFound("Relative path is not allowed in url: " + url);
    }
    source = store.dir / url;
  }
  std::error_code ec;
  if (!fs::exists(source, ec)) return NotFound(store.not_found + url);
  archive::ExtractOptions extract;
  extract.extraction_root = fs::path(config.temp_dir) / "models";
  extract.max_total_bytes = static_cast<uint64_t>(config.max_archive_bytes);
  auto opened = archive::OpenModelArchive(source, extract);
  if (!opened.ok()) {
    out.Discard();
    const Status& st = opened.status();
    return Status(st.code() == StatusCode::kNotFound ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  st.message());
  }
  out.opened = std::move(*opened);
  return out;
}

StatusOr<config::ModelYamlConfig> ReadModelYaml(const std::string& url, const archive::OpenedArchive& opened) {
  if (!opened.manifest || opened.manifest->config_file.empty()) return config::ModelYamlConfig{};
  const std::string& file = opened.manifest->config_file;
  auto text = ReadFile(opened.model_dir / file);
  if (!text.ok()) return InvalidArgument(url + ": configFile " + file + " named in the manifest is missing");
  return config::ParseModelYaml(*text, url + ":" + file);
}

StatusOr<RegistrationPlan> PlanRegistration(const RegistrationInputs& in) {
  const RegisterParams& params = in.params;
  const config::ServerConfig& config = in.config;
  const config::ModelYamlConfig& yaml = in.yaml;
  RegistrationPlan plan;
  ModelSettings& s = plan.settings;
  s.url = in.url;
  s.model_dir = in.archive.opened.model_dir;
  s.extracted_dir = in.archive.opened.extracted_dir;
  s.downloaded_file = in.archive.downloaded_file;
  s.loaded_at_startup = in.at_startup || params.restored;
  s.workflow = params.workflow;
  const archive::Manifest manifest = in.archive.opened.manifest.value_or(archive::Manifest{});
  s.name = !params.model_name.empty()    ? params.model_name
           : !manifest.model_name.empty() ? manifest.model_name
                                          : ModelNameFromFile(in.url);
  s.version = manifest.model_version.empty() ? "1.0" : manifest.model_version;
  s.handler = !params.handler.empty()    ? params.handler
              : !manifest.handler.empty() ? manifest.handler
                                          : config.default_service_handler;
  s.serialized_file = manifest.serialized_file;
  s.model_file = manifest.model_file;
  s.runtime = !params.runtime.empty() ? params.runtime : manifest.runtime;
  if (!archive::IsValidModelName(s.name)) {
    return InvalidArgument("Model name contains special characters. The allowed regular expression filter is: "
                           "^[A-Za-z0-9][A-Za-z0-9_\\-.]*$");
  }
  const fs::path model_dir = s.model_dir;
  archive::RuntimeChoice choice = archive::ChooseWorkerRuntime({s.handler, s.model_file, [&model_dir](const std::string& f) {
                                                                  std::error_code ec;
                                                                  return fs::exists(model_dir / f, ec);
                                                                }});
  s.worker_runtime = choice.runtime;
  plan.runtime_reason = choice.reason;
  s.yaml = yaml.all;
  // config.properties' ipex_dtype (Hearth) is every model's default; its own model-config.yaml wins.
  if (auto dt = config.properties.find("ipex_dtype"); dt != config.properties.end() && !s.yaml.contains("ipex_dtype")) {
    s.yaml["ipex_dtype"] = dt->second;
  }
  {
    archive::Manifest seen = manifest;  // what a Python handler's context.manifest shows
    seen.model_name = s.name;
    seen.model_version = s.version;
    seen.handler = s.handler;
    s.manifest_json = archive::SerializeManifest(seen);
  }
  const Json startup = in.at_startup ? StartupJsonFor(in.models_json, s.name, s.version) : Json::object();
  if (auto rt = startup.find("runtimeType"); rt != startup.end() && rt->is_string()) s.runtime = *rt;

  // Batching: param > yaml > models JSON > 1 / 100 ms.
  s.batch_size = params.batch_size && *params.batch_size > 0 ? *params.batch_size
                 : yaml.batch_size && *yaml.batch_size > 0  ? *yaml.batch_size
                                                            : PositiveInt(startup, "batchSize").value_or(1);
  s.max_batch_delay_ms = params.max_batch_delay_ms && *params.max_batch_delay_ms >= 0 ? *params.max_batch_delay_ms
                         : yaml.max_batch_delay_ms && *yaml.max_batch_delay_ms > 0 ? *yaml.max_batch_delay_ms
                                                                                   : PositiveInt(startup, "maxBatchDelay").value_or(100);
  // Batch closing: yaml > config.properties.
  s.batch_closing = yaml.batch_closing.value_or(config.batch_closing) == "adaptive" ? BatchClosing::kWhenIdle
                                                                                   : BatchClosing::kAfterDelay;
  // Timeouts: yaml > models JSON > param > default.
  s.response_timeout_s = yaml.response_timeout_s                     ? *yaml.response_timeout_s
                         : PositiveInt(startup, "responseTimeout")   ? *PositiveInt(startup, "responseTimeout")
                         : params.response_timeout_s                 ? *params.response_timeout_s
                                                                     : config.default_response_timeout_s;
  s.startup_timeout_s = yaml.startup_timeout_s                    ? *yaml.startup_timeout_s
                        : PositiveInt(startup, "startupTimeout")  ? *PositiveInt(startup, "startupTimeout")
                        : params.startup_timeout_s                ? *params.startup_timeout_s
                                                                  : config.default_startup_timeout_s;
  s.job_queue_size = yaml.job_queue_size && *yaml.job_queue_size > 0 ? *yaml.job_queue_size : config.job_queue_size;
  s.max_retry_timeout_s = yaml.max_retry_timeout_s.value_or(300);
  s.client_timeout_ms = yaml.client_timeout_ms.value_or(0);
  s.ipex_enable = yaml.ipex_enable.value_or(config.ipex_enable);
  RETURN_IF_ERROR(PlanThreads(yaml, in.server_env, s));
  // Workers: snapshot > yaml (if min > 0 and max >= min) > initial_workers / models JSON > default.
  int& min_w = plan.min_workers;
  int& max_w = plan.max_workers;
  if (params.min_workers) {
    min_w = std::max(0, *params.min_workers);
    max_w = std::max(min_w, params.max_workers.value_or(min_w));
  } else if (yaml.min_workers && *yaml.min_workers > 0 && yaml.max_workers && *yaml.max_workers >= *yaml.min_workers) {
    min_w = *yaml.min_workers;
    max_w = *yaml.max_workers;
  } else if (in.at_startup) {
    const int def = config.default_workers_per_model > 0 ? config.default_workers_per_model : in.available_cpus;
    min_w = PositiveInt(startup, "minWorkers").value_or(def);
    max_w = PositiveInt(startup, "maxWorkers").value_or(std::max(min_w, def));
    if (max_w < min_w) max_w = min_w;
  } else {
    min_w = params.initial_workers && *params.initial_workers >= 0 ? *params.initial_workers
                                                                   : config.default_workers_per_model;
    max_w = min_w;
  }
  return plan;
}

}  // namespace hearth::core
