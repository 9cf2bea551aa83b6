#pragma once
// model-config.yaml, the per-archive settings TorchServe reads. Frontend keys
// are typed; a wrong-typed value is reported in `warnings` and ignored, as
// TorchServe does. Every key (frontend or not) is kept in `all` as JSON so
// handlers see them (TorchServe's context.model_yaml_config).

#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace hearth::config {

struct ModelYamlConfig {
  std::optional<int> min_workers;
  std::optional<int> max_workers;
  std::optional<int> batch_size;
  std::optional<int> max_batch_delay_ms;
  std::optional<int> response_timeout_s;
  std::optional<int> startup_timeout_s;
  std::optional<int> job_queue_size;
  std::optional<int> max_retry_timeout_s;
  std::optional<int> client_timeout_ms;
  std::optional<bool> ipex_enable;  // Hearth: per-model override of ipex_enable
  std::optional<std::string> batch_closing;  // Hearth: "delay" or "adaptive" (batchClosing)
  std::string device_type;
  Json all = Json::object();
  std::vector<std::string> warnings;
};

// Parses YAML text; `origin` names the file in messages. A document that is
// not YAML, or not a mapping, is an error.
StatusOr<ModelYamlConfig> ParseModelYaml(const std::string& text, const std::string& origin);

}  // namespace hearth::config
