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
//   Workflows: /wfpredict/{w} (workflow_routes.cc).
// Management listener: /models (list, register), /models/{m}[/{v}|/all]
//   (describe, scale, unregister), /models/{m}/{v}/set-default, and
//   /workflows[/{w}] (workflow_routes.cc).
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
#include "workflow/workflow_manager.h"

namespace hearth::frontend {

enum ListenerRole : unsigned { kInferenceRole = 1, kManagementRole = 2, kMetricsRole = 4 };

class ApiRouter {
 public:
  // `tokens` (may be null: authorization disabled) and `workflows` (may be
  // null: no workflow routes) outlive the router.
  ApiRouter(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
            const config::ServerConfig& config, security::TokenAuthority* tokens,
            workflow::WorkflowManager* workflows = nullptr);

  void Handle(unsigned roles, HttpRequest&& request, Responder respond);

  // Called after every successful register, scale, unregister and
  // set-default (the snapshot writer). Set before serving.
  void SetOnModelsChanged(std::function<void()> callback) { on_models_changed_ = std::move(callback); }

 private:
  struct PredictTarget {
    std::string model;
    std::string version;         // "" = default
    std::string url_path;        // what follows /predictions/{m}/{v}/ (the handler's url_path header)
    bool explain = false;        // /explanations: the handler's explain header
    bool query_as_inputs = false;  // SageMaker and legacy routes: query parameters reach the handler
  };
  void Predict(HttpRequest&& req, const PredictTarget& target, Responder respond);
  bool HandleInference(HttpRequest& req, Responder& respond);
  bool HandleKserve(HttpRequest& req, Responder& respond);
  bool HandleManagement(HttpRequest& req, Responder& respond);
  bool HandleMetrics(HttpRequest& req, Responder& respond);
  bool HandleWorkflows(HttpRequest& req, Responder& respond);
  bool HandleWorkflowPredict(HttpRequest& req, Responder& respond);
  void Register(const HttpRequest& req, Responder respond);
  // {"status": message} for a management reply (after telling the snapshot
  // writer), TorchServe's error JSON for an error.
  core::ManagementCallback ManagementReplyTo(Responder respond);
  // Answers 400 InvalidKeyException and returns false without the right key.
  bool Authorized(security::TokenKind kind, const HttpRequest& req, Responder& respond);
  void RotateToken(const HttpRequest& req, Responder& respond);

  core::ModelManager& models_;
  core::Metrics& metrics_;
  core::RequestPolicy& policy_;  // counting and drain (503, /ping unhealthy)
  const config::ServerConfig& config_;
  security::TokenAuthority* tokens_;
  workflow::WorkflowManager* workflows_;
  kserve::KserveService kserve_;
  std::function<void()> on_models_changed_;
};

// TorchServe's OpenAPI 3.0.1 description of the APIs ("inference" or "management").
std::string OpenApiDescription(unsigned roles);

}  // namespace hearth::frontend
