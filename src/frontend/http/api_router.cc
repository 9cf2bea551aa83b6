#include "frontend/http/api_router.h"

#include "common/ids.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/strings.h"
#include "frontend/common/describe_json.h"
#include "frontend/http/rest_replies.h"

namespace hearth::frontend {

ApiRouter::ApiRouter(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
                     const config::ServerConfig& config, security::TokenAuthority* tokens,
                     workflow::WorkflowManager* workflows)
    : models_(models),
      metrics_(metrics),
      policy_(policy),
      config_(config),
      tokens_(tokens),
      workflows_(workflows),
      kserve_(models, policy) {}

bool ApiRouter::Authorized(security::TokenKind kind, const HttpRequest& req, Responder& respond) {
  if (!tokens_ || tokens_->Check(kind, req.Header("authorization"))) return true;
  const char* which = kind == security::TokenKind::kInference ? "inference" :
                      kind == security::TokenKind::kManagement ? "management" : "API";
  respond(ErrorResponse(Status(StatusCode::kUnauthenticated,
                               std::string("Token Authorization failed. Token either incorrect, expired, or not "
                                           "provided correctly (send \"Authorization: Bearer <") + which +
                                   " key>\" from " + tokens_->key_file() +
                                   ", or start hearth with --disable-token-auth)")));
  return false;
}

void ApiRouter::RotateToken(const HttpRequest& req, Responder& respond) {
  const std::string type = req.Query("type");
  const Status refused(StatusCode::kUnauthenticated,
                       "Token Authentication failed. Token either incorrect, expired, or not provided correctly");
  if (!tokens_) {
    respond(ErrorResponse(Status(StatusCode::kResourceNotFound,
                                 "Token authorization is disabled (disable_token_authorization=true)")));
    return;
  }
  if ((type != "management" && type != "inference") ||
      !tokens_->Check(security::TokenKind::kApi, req.Header("authorization"))) {
    respond(ErrorResponse(refused));
    return;
  }
  Status st = tokens_->Rotate(type == "inference" ? security::TokenKind::kInference : security::TokenKind::kManagement);
  if (!st.ok()) {
    respond(ErrorResponse(st));
    return;
  }
  HttpResponse r;
  r.status = 200;
  r.body = "\n";
  respond(std::move(r));
}

void ApiRouter::Handle(unsigned roles, HttpRequest&& req, Responder respond) {
  // Every response is counted (Requests2XX/4XX/5XX), /ping and /metrics too.
  Responder counted = [this, respond = std::move(respond)](HttpResponse r) {
    metrics_.CountResponse(r.status);
    respond(std::move(r));
  };
  // (1) API description, no auth.
  if (req.path == "/" || req.path == "/api-description") {
    if (req.method == "OPTIONS" || (req.path == "/api-description" && req.method == "GET")) {
      HttpResponse r;
      r.status = 200;
      r.content_type = "application/json";
      r.body = OpenApiDescription(roles);
      counted(std::move(r));
      return;
    }
    counted(MethodNotAllowed());
    return;
  }
  if ((roles & kInferenceRole) && HandleInference(req, counted)) return;
  if ((roles & kInferenceRole) && HandleWorkflowPredict(req, counted)) return;
  if ((roles & kManagementRole) && HandleManagement(req, counted)) return;
  if ((roles & kManagementRole) && HandleWorkflows(req, counted)) return;
  if ((roles & kMetricsRole) && HandleMetrics(req, counted)) return;
  counted(NotFoundRoute());
}

bool ApiRouter::HandleInference(HttpRequest& req, Responder& respond) {
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.empty()) return false;
  if (HandleKserve(req, respond)) return true;
  if (seg[0] == "ping" && seg.size() == 1) {
    bool healthy = !policy_.Draining() && models_.Healthy();
    respond(StatusMessage(healthy ? 200 : 500, healthy ? "Healthy" : "Unhealthy"));
    return true;
  }
  // Health probes need no token (TorchServe asks for one, which breaks probes).
  const bool predict_route = ((seg[0] == "predictions" || seg[0] == "explanations") && seg.size() >= 2) ||
                             (seg[0] == "invocations" && seg.size() == 1) ||
                             (seg.size() == 3 && seg[0] == "models" && seg[2] == "invoke") ||
                             (seg.size() == 2 && seg[1] == "predict") || (seg.size() == 3 && seg[2] == "predict");
  if (predict_route && req.method != "OPTIONS" && !Authorized(security::TokenKind::kInference, req, respond)) {
    return true;
  }
  if ((seg[0] == "predictions" || seg[0] == "explanations") && seg.size() >= 2) {
    if (req.method == "OPTIONS") {
      HttpResponse r;
      r.status = 200;
      r.content_type = "application/json";
      r.body = OpenApiDescription(kInferenceRole);
      respond(std::move(r));
      return true;
    }
    std::string version = seg.size() >= 3 ? seg[2] : "";
    std::vector<std::string> rest(seg.size() > 3 ? seg.begin() + 3 : seg.end(), seg.end());
    Predict(std::move(req), PredictTarget{seg[1], version, Join(rest, "/"), seg[0] == "explanations", false}, respond);
    return true;
  }
  // SageMaker-style routes.
  if ((seg[0] == "invocations" && seg.size() == 1) || (seg.size() == 3 && seg[0] == "models" && seg[2] == "invoke")) {
    std::string model = seg.size() == 3 ? seg[1] : req.Query("model_name");
    if (model.empty()) {
      Json list = models_.List(100, 0);
      if (list["models"].size() == 1) model = list["models"][0]["modelName"].get<std::string>();
    }
    if (model.empty()) {
      respond(ErrorResponse(InvalidArgument("Parameter model_name is required.")));
      return true;
    }
    Predict(std::move(req), PredictTarget{model, "", "", false, true}, respond);
    return true;
  }
  // Legacy /{m}/predict and /{m}/{v}/predict.
  if ((seg.size() == 2 && seg[1] == "predict") || (seg.size() == 3 && seg[2] == "predict")) {
    Predict(std::move(req), PredictTarget{seg[0], seg.size() == 3 ? seg[1] : "", "", false, true}, respond);
    return true;
  }
  return false;
}

void ApiRouter::Predict(HttpRequest&& req, const PredictTarget& target, Responder respond) {
  const std::string request_id = RequestIdFor(req);
  auto reply = [respond, request_id](HttpResponse r) {
    r.headers.emplace_back("x-request-id", request_id);
    respond(std::move(r));
  };
  const std::string& model = target.model;
  const std::string& version = target.version;
  if (Status admitted = policy_.Admit(model, version); !admitted.ok()) {
    reply(ErrorResponse(admitted));
    return;
  }
  core::InferenceRequest ir;
  ir.request_id = request_id;
  if (target.query_as_inputs) {
    // First, as TorchServe adds them; a form field or body of the same name wins.
    for (const auto& [k, v] : req.query) ir.inputs.push_back({k, "", v});
  }
  auto inputs = HandlerInputs(req);
  if (!inputs.ok()) {
    reply(ErrorResponse(inputs.status()));
    return;
  }
  for (auto& input : *inputs) ir.inputs.push_back(std::move(input));
  ir.headers = std::move(req.headers);
  ir.headers.emplace_back("url_path", target.url_path);
  ir.headers.emplace_back("explain", target.explain ? "True" : "False");
  // A handler's streamed parts go out as chunks of the answer.
  ir.on_partial = [reply](core::InferenceResponse r) {
    HttpResponse part = ToHttpResponse(std::move(r));
    part.more = true;
    reply(std::move(part));
  };
  models_.Predict(model, version, std::move(ir),
                  [this, reply, model, version](core::InferenceResponse r) {
                    if (!r.status.ok()) {
                      reply(ErrorResponse(r.status, r.http_status));
                      return;
                    }
                    policy_.RecordAnswer(model, version, r);
                    reply(ToHttpResponse(std::move(r)));
                  });
}

core::ManagementCallback ApiRouter::ManagementReplyTo(Responder respond) {
  return [this, respond](StatusOr<core::ManagementReply> r) {
    if (!r.ok()) {
      respond(ErrorResponse(r.status()));
      return;
    }
    if (on_models_changed_) on_models_changed_();
    respond(StatusMessage(r->http_status, r->message));
  };
}

bool ApiRouter::HandleManagement(HttpRequest& req, Responder& respond) {
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.size() == 1 && seg[0] == "token") {
    RotateToken(req, respond);
    return true;
  }
  if (seg.empty() || seg[0] != "models") return false;
  if (!Authorized(security::TokenKind::kManagement, req, respond)) return true;
  core::ManagementCallback management_reply = ManagementReplyTo(respond);
  const std::string model_api_hint =
      " (the model API is disabled: start hearth with --enable-model-api or set enable_model_api=true)";
  if (seg.size() == 1) {
    if (req.method == "GET") {
      int limit = ParseInt(req.Query("limit")).value_or(100);
      int token = ParseInt(req.Query("next_page_token")).value_or(0);
      respond(JsonResponse(200, models_.List(limit, token)));
      return true;
    }
    if (req.method == "POST") {
      if (!config_.enable_model_api) {
        respond(MethodNotAllowed(model_api_hint));
        return true;
      }
      Register(req, respond);
      return true;
    }
    respond(MethodNotAllowed());
    return true;
  }
  const std::string& name = seg[1];
  std::string version = seg.size() >= 3 ? seg[2] : "";
  if (seg.size() == 4 && seg[3] == "set-default") {
    if (req.method != "PUT") {
      respond(MethodNotAllowed());
      return true;
    }
    management_reply(models_.SetDefault(name, version));
    return true;
  }
  if (seg.size() > 3) return false;
  if (req.method == "GET") {
    auto described = models_.Describe(name, version);
    if (!described.ok()) {
      respond(ErrorResponse(described.status()));
      return true;
    }
    respond(JsonResponse(200, DescribeJson(*described)));
    return true;
  }
  if (req.method == "PUT") {
    if (req.HasQuery("model_version")) version = req.Query("model_version");
    core::ScaleParams p;
    p.min_worker = ParseInt(req.Query("min_worker")).value_or(1);
    p.max_worker = ParseInt(req.Query("max_worker"));
    if (!p.max_worker) p.max_worker = p.min_worker;
    p.synchronous = ParseJavaBool(req.Query("synchronous", "false"));
    models_.Scale(name, version, p, management_reply);
    return true;
  }
  if (req.method == "DELETE") {
    if (!config_.enable_model_api) {
      respond(MethodNotAllowed(model_api_hint));
      return true;
    }
    models_.Unregister(name, version, management_reply);
    return true;
  }
  respond(MethodNotAllowed());
  return true;
}

void ApiRouter::Register(const HttpRequest& req, Responder respond) {
  auto params = RequestParams::From(req);
  if (!params.ok()) {
    respond(ErrorResponse(params.status()));
    return;
  }
  auto param = [&](const char* key) { return params->Get(key); };
  auto url = param("url");
  if (!url) {
    respond(ErrorResponse(InvalidArgument("Parameter url is required.")));
    return;
  }
  core::RegisterParams p;
  p.url = *url;
  p.model_name = param("model_name").value_or("");
  p.handler = param("handler").value_or("");
  p.runtime = param("runtime").value_or("");
  p.batch_size = IntParam(param("batch_size"));
  p.max_batch_delay_ms = IntParam(param("max_batch_delay"));
  p.initial_workers = IntParam(param("initial_workers"));
  p.response_timeout_s = IntParam(param("response_timeout"));
  p.startup_timeout_s = IntParam(param("startup_timeout"));
  p.synchronous = ParseJavaBool(param("synchronous").value_or("true"));
  models_.Register(p, [this, respond](StatusOr<core::ManagementReply> r) {
    if (!r.ok()) {
      respond(ErrorResponse(r.status()));
      return;
    }
    if (on_models_changed_) on_models_changed_();
    respond(StatusMessage(r->http_status, r->message));
  });
}

bool ApiRouter::HandleMetrics(HttpRequest& req, Responder& respond) {
  if (req.path != "/metrics") return false;
  std::vector<std::string> names;
  for (const auto& [k, v] : req.query) {
    if (k == "name[]") names.push_back(v);
  }
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (config_.metrics_mode == "prometheus") {
    r.body = metrics_.RenderPrometheus(core::Metrics::Families::kAll, names) + models_.RenderRuntimeMetrics(names);
  } else if (config_.metrics_mode == "legacy") {
    r.body = metrics_.RenderPrometheus(core::Metrics::Families::kLegacyCountersOnly, names);
  }
  respond(std::move(r));
  return true;
}

}  // namespace hearth::frontend
