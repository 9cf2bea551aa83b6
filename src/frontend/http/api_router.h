#pragma once
// TorchServe's REST APIs over the core: routes HttpRequests to the
// ModelManager and turns its replies into TorchServe's JSON bodies and
// status codes. Transport-free and stateless apart from the references it
// holds; thread-safe.
//
// Inference listener: /ping, /predictions/{m}[/{v}[/...]],
//   /explanations/..., OPTIONS / and /api-description, SageMaker's
//   /invocations and /models/{m}/invoke, legacy /{m}/predict, and the
//   Open Inference Protocol under /v1 and /v2 (kserve_routes.cc).
// Management listener: /models (list, register), /models/{m}[/{v}|/all]
//   (describe, scale, unregister), /models/{m}/{v}/set-default.
// Metrics listener: /metrics.
// A listener given several roles (same address) serves all their routes.

#include <atomic>
#include <string>

#include "config/server_config.h"
#include "core/metrics.h"
#include "core/model_manager.h"
#include "core/request_policy.h"
#include "frontend/http/http_types.h"
#include "frontend/kserve/kserve_service.h"
#include "security/token_authority.h"

namespace hearth::frontend {

enum ListenerRole : unsigned { kInferenceRole = 1, kManagementRole = 2, kMetricsRole = 4 };

class ApiRouter {
 public:
  // `tokens` (may be null: authorization disabled) outlives the router.
  ApiRouter(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
            const config::ServerConfig& config, security::TokenAuthority* tokens);

  void Handle(unsigned roles, HttpRequest&& request, Responder respond);

  // Called after every successful register, scale, unregister and
  // set-default (the snapshot writer). Set before serving.
  void SetOnModelsChanged(std::function<void()> callback) { on_models_changed_ = std::move(callback); }

 private:
  void Predict(HttpRequest&& req, const std::string& model, const std::string& version,
               const std::string& url_path, bool explain, Responder respond);
  bool HandleInference(HttpRequest& req, Responder& respond);
  bool HandleKserve(HttpRequest& req, Responder& respond);
  bool HandleManagement(HttpRequest& req, Responder& respond);
  bool HandleMetrics(HttpRequest& req, Responder& respond);
  void Register(const HttpRequest& req, Responder respond);
  // Answers 400 InvalidKeyException and returns false without the right key.
  bool Authorized(security::TokenKind kind, const HttpRequest& req, Responder& respond);
  void RotateToken(const HttpRequest& req, Responder& respond);

  core::ModelManager& models_;
  core::Metrics& metrics_;
  core::RequestPolicy& policy_;  // counting and drain (503, /ping unhealthy)
  const config::ServerConfig& config_;
  security::TokenAuthority* tokens_;
  kserve::KserveService kserve_;
  std::function<void()> on_models_changed_;
};

// TorchServe's OpenAPI 3.0.1 description of the APIs ("inference" or "management").
std::string OpenApiDescription(unsigned roles);

}  // namespace hearth::frontend
