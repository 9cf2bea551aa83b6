#pragma once
// TorchServe's REST APIs over the core: routes HttpRequests to the
// ModelManager and turns its replies into TorchServe's JSON bodies and
// status codes. Transport-free and stateless apart from the references it
// holds; thread-safe.
//
// Inference listener: /ping, /predictions/{m}[/{v}[/...]],
//   /explanations/..., OPTIONS / and /api-description, SageMaker's
//   /invocations and /models/{m}/invoke, legacy /{m}/predict.
// Management listener: /models (list, register), /models/{m}[/{v}|/all]
//   (describe, scale, unregister), /models/{m}/{v}/set-default.
// Metrics listener: /metrics.
// A listener given several roles (same address) serves all their routes.

#include <atomic>
#include <string>

#include "config/server_config.h"
#include "core/metrics.h"
#include "core/model_manager.h"
#include "frontend/http/http_types.h"

namespace hearth::frontend {

enum ListenerRole : unsigned { kInferenceRole = 1, kManagementRole = 2, kMetricsRole = 4 };

class ApiRouter {
 public:
  ApiRouter(core::ModelManager& models, core::Metrics& metrics, const config::ServerConfig& config);

  void Handle(unsigned roles, HttpRequest&& request, Responder respond);

  // While draining, inference answers 503 and /ping reports unhealthy.
  void SetDraining(bool draining) { draining_ = draining; }

 private:
  void Predict(HttpRequest&& req, const std::string& model, const std::string& version,
               const std::string& url_path, bool explain, Responder respond);
  bool HandleInference(HttpRequest& req, Responder& respond);
  bool HandleManagement(HttpRequest& req, Responder& respond);
  bool HandleMetrics(HttpRequest& req, Responder& respond);
  void Register(const HttpRequest& req, Responder respond);

  core::ModelManager& models_;
  core::Metrics& metrics_;
  const config::ServerConfig& config_;
  std::atomic<bool> draining_{false};
};

// TorchServe's OpenAPI 3.0.1 description of the APIs ("inference" or "management").
std::string OpenApiDescription(unsigned roles);

}  // namespace hearth::frontend
