#pragma once
// Registering a model version, apart from the registry itself:
//   1. FetchAndOpenArchive: the URL checked against TorchServe's rules
//      (model store file, file://, allowed_urls, download into the store)
//      and the archive opened (extracted, or a directory used in place);
//   2. ReadModelYaml: the manifest's configFile;
//   3. PlanRegistration (pure): every setting of the new version and its
//      worker counts, by TorchServe's precedence rules, and which worker
//      program serves it.
// ModelManager::Register runs them on its blocking pool, then adds the
// version to the registry and starts its workers.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "archive/archive_reader.h"
#include "common/json.h"
#include "common/status.h"
#include "config/model_config.h"
#include "config/server_config.h"
#include "core/model_version.h"

namespace hearth::core {

struct RegisterParams {
  std::string url;
  std::string model_name;  // "" -> manifest, then file name
  std::string handler;     // "" -> manifest
  std::string runtime;     // "" -> manifest
  std::optional<int> batch_size;
  std::optional<int> max_batch_delay_ms;
  std::optional<int> initial_workers;
  std::optional<int> response_timeout_s;
  std::optional<int> startup_timeout_s;
  bool synchronous = true;
  // Set when restoring a snapshot: these win over every other source.
  std::optional<int> min_workers;
  std::optional<int> max_workers;
  bool restored = false;
  // Set by a workflow for its node models: the workflow's name. Such models
  // stay out of snapshots and are unregistered only with their workflow.
  std::string workflow;
  // A model without an archive of its own (a workflow's function node): its
  // directory (kept at unregister) and manifest; `url` is then a label.
  struct Prepared {
    std::filesystem::path model_dir;
    archive::Manifest manifest;
  };
  std::optional<Prepared> prepared;
};
// An opened archive and what registration created for it.
struct ArchiveForRegistration {
  std::string url;
  archive::OpenedArchive opened;
  std::filesystem::path downloaded_file;  // a URL download in the store ("" for local archives)
  // Removes what registration created (extraction, download); for a failed registration.
  void Discard() const;
};

// Blocking (downloads, extraction). Errors are TorchServe's: 404 "Model not
// found at: <url>", "Relative path is not allowed in url: <url>", "Given URL
// <url> does not match any allowed URL(s)", 400 for a malformed archive,
// 500 "Model file already exists <file>" before a download.
StatusOr<ArchiveForRegistration> FetchAndOpenArchive(const std::string& url, const config::ServerConfig& config);

// Where archives of a kind are kept and how errors name them: models in
// model_store (above), workflows in workflow_store.
struct ArchiveStore {
  std::filesystem::path dir;
  std::string not_found = "Model not found at: ";     // + url
  std::string already_exists = "Model file already exists ";  // + file, before a download
};
StatusOr<ArchiveForRegistration> FetchAndOpenArchive(const std::string& url, const config::ServerConfig& config,
                                                     const ArchiveStore& store);

// The manifest's configFile (none: an empty config). 400 naming the file
// when it is missing or malformed.
StatusOr<config::ModelYamlConfig> ReadModelYaml(const std::string& url, const archive::OpenedArchive& opened);

struct RegistrationInputs {
  const RegisterParams& params;
  const std::string& url;
  const ArchiveForRegistration& archive;
  const config::ModelYamlConfig& yaml;
  const Json& models_json;  // the `models` config key (startup registrations)
  bool at_startup = false;
  const config::ServerConfig& config;
  int available_cpus = 1;
  // The server's own environment (NAME=value): OMP_NUM_THREADS/MKL_NUM_THREADS
  // there are every model's own thread setting, as TorchServe's workers inherit them.
  const std::vector<std::string>* server_env = nullptr;
};

struct RegistrationPlan {
  ModelSettings settings;
  int min_workers = 0;
  int max_workers = 0;
  std::string runtime_reason;  // why this worker program (archive::RuntimeChoice::reason)
};

// Pure apart from looking for handler files in the model directory. 400
// for an invalid model name.
StatusOr<RegistrationPlan> PlanRegistration(const RegistrationInputs& inputs);

// The model name TorchServe derives from an archive file name: the stem with
// non-word characters (and a leading underscore) replaced by '_'.
std::string ModelNameFromFile(const std::string& file_name);

}  // namespace hearth::core
