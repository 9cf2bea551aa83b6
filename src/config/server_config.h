#pragma once
// config.properties -> ServerConfig, following TorchServe's ConfigManager:
//
// 1. Source, first match: $TS_CONFIG_FILE, --ts-config, the newest snapshot
//    in ${LOG_LOCATION:-logs}/config/ (unless --ncs), ./config.properties,
//    built-in defaults.
// 2. $$NAME$$ in a value is replaced by the environment variable NAME
//    (unset -> error).
// 3. CLI overrides: --model-store, --workflow-store, --models,
//    --enable-model-api, --disable-token-auth.
// 4. Only when the file says enable_envvars_config=true: TS_<KEY> variables
//    override everything (env > CLI > file).
//
// Unknown keys produce a warning; JVM/Netty-only keys one warning in all; a
// malformed value is an error naming the key and the file.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "config/cli.h"

namespace hearth::config {

using Environment = std::map<std::string, std::string>;
Environment CurrentEnvironment();

// A listener: http://host:port, https://host:port or unix:/path.
struct ListenAddress {
  std::string scheme = "http";  // http, https or unix
  std::string host = "127.0.0.1";
  int port = 0;
  std::string unix_path;
  bool tls() const { return scheme == "https"; }
  bool operator==(const ListenAddress& o) const {
    return scheme == o.scheme && host == o.host && port == o.port && unix_path == o.unix_path;
  }
  std::string ToString() const;
};
// TorchServe's address rule; no port -> default_port (http) / default_tls_port (https).
StatusOr<ListenAddress> ParseListenAddress(const std::string& text, int default_port, int default_tls_port);

struct ServerConfig {
  // Where the configuration came from, for the start-up log.
  std::string source = "defaults";
  std::string config_file;  // empty when none

  ListenAddress inference_address;
  ListenAddress management_address;
  ListenAddress metrics_address;
  std::string model_store;
  std::string workflow_store;
  std::string load_models;
  Json models = Json::object();  // the "models" key
  int default_workers_per_model = 0;  // 0 = not configured
  int job_queue_size = 100;
  int default_response_timeout_s = 120;
  int default_startup_timeout_s = 120;
  int unregister_model_timeout_s = 120;
  int64_t max_request_size = 6553500;
  int64_t max_response_size = 6553500;
  int number_of_netty_threads = 0;  // 0 = one per four cores (at least one)
  // hearth_io_spin_us: an I/O thread with nothing to do polls for this long
  // before it sleeps (0 = sleeps at once). Fewer wake-ups per request at low
  // load for a core kept busy; see docs/operations.md.
  int io_spin_us = 0;
  int initial_worker_port = 9000;
  int threads_per_worker = 0;  // hearth_threads_per_worker: fixed intra-op threads (0 = cores / workers)
  bool ipex_enable = false;
  std::string batch_closing = "delay";  // "delay" (TorchServe's) or "adaptive" (see core/batcher.h)
  bool cpu_launcher_enable = false;
  std::string cpu_launcher_args;
  bool disable_token_authorization = false;
  bool enable_model_api = false;
  int token_expiration_min = 60;
  std::string metrics_mode = "log";
  bool enable_metrics_api = true;
  std::string metrics_config;
  int metric_time_interval_s = 60;
  bool disable_system_metrics = false;  // no host CPU/memory/disk gauges
  int header_timeout_s = 60;   // hearth_header_timeout_s: slow clients are dropped after this
  int idle_timeout_s = 120;    // hearth_idle_timeout_s: idle keep-alive connections are closed
  int64_t max_archive_bytes = 32ll << 30;  // hearth_max_archive_bytes: uncompressed size limit (zip bombs)
  std::string cors_allowed_origin;
  std::string cors_allowed_methods;
  std::string cors_allowed_headers;
  std::string private_key_file;
  std::string certificate_file;
  std::string allowed_urls = "file://.*|http(s)?://.*";
  std::string model_snapshot;  // JSON text of a snapshot's model list
  std::string service_envelope;
  std::string default_service_handler;
  bool decode_input_request = true;
  bool limit_max_image_pixels = true;
  std::string blacklist_env_vars;
  bool ts_open_inference_protocol = false;
  // gRPC listeners: grpc_{inference,management}_address (a host, or
  // host:port) and _port; hearth_grpc_enable=false turns both off.
  bool grpc_enable = true;
  std::string grpc_inference_host = "127.0.0.1";
  int grpc_inference_port = 7070;
  std::string grpc_management_host = "127.0.0.1";
  int grpc_management_port = 7071;
  bool enable_grpc_ssl = false;  // TLS with private_key_file / certificate_file
  int64_t grpc_inference_max_connection_age_ms = 0;   // 0 = unlimited
  int64_t grpc_management_max_connection_age_ms = 0;
  int64_t grpc_inference_max_connection_age_grace_ms = 0;
  int64_t grpc_management_max_connection_age_grace_ms = 0;
  bool no_config_snapshots = false;

  std::string log_location = "logs";
  std::string metrics_location = "logs";
  std::string temp_dir;  // extraction root parent: $TEMP or the system temp dir

  // Every effective key and value (file, CLI and env overrides applied), for
  // the start-up dump and snapshots.
  std::map<std::string, std::string> properties;
  // Things the user should know (unknown keys, ignored flags).
  std::vector<std::string> warnings;
};

// Resolves the configuration as described above. Reads files (the config
// file, the snapshot directory) but nothing else.
StatusOr<ServerConfig> ResolveServerConfig(const CliOptions& cli, const Environment& env);

// Builds a ServerConfig from already-read properties; `origin` names the file
// in error messages. Pure; used by ResolveServerConfig and by tests.
StatusOr<ServerConfig> BuildServerConfig(const std::map<std::string, std::string>& file_properties,
                                         const std::string& origin, const CliOptions& cli,
                                         const Environment& env);

// The newest snapshot file in dir (largest timestamp prefix), or "" if none.
std::string NewestSnapshot(const std::string& dir);

}  // namespace hearth::config
