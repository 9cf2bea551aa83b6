// TorchServe's workflow routes:
//   management listener: GET /workflows (list), POST /workflows (register),
//     GET /workflows/{w} (describe), DELETE /workflows/{w} (unregister);
//   inference listener: /wfpredict/{w}, any method (TorchServe takes them all).
// They need the management and inference keys when token auth is on.
#include "common/strings.h"
#include "frontend/http/api_router.h"
#include "frontend/http/rest_replies.h"

namespace hearth::frontend {
namespace {

// TorchServe's exception names for workflow errors; the codes and messages
// are the core's.
HttpResponse WorkflowError(const Status& status) {
  const std::string& m = status.message();
  const char* type = nullptr;
  if (StartsWith(m, "Workflow not found")) {
    type = "WorkflowNotFoundException";
  } else if (status.code() == StatusCode::kInvalidArgument && m.find(": dag: ") != std::string::npos) {
    type = "InvalidDAGException";
  } else if (m.find("has failed to register") != std::string::npos) {
    type = "WorkflowException";
  } else if (status.code() == StatusCode::kInvalidArgument && m.find("WAR-INF/MANIFEST.json") != std::string::npos) {
    type = "InvalidWorkflowException";
  }
  return ErrorResponse(status, 0, type);
}

Json DescribeJson(const workflow::WorkflowDescription& d) {
  Json j;
  j["workflowName"] = d.name;
  j["workflowUrl"] = d.url;
  j["minWorkers"] = d.defaults.min_workers;
  j["maxWorkers"] = d.defaults.max_workers;
  j["batchSize"] = d.defaults.batch_size;
  j["maxBatchDelay"] = d.defaults.max_batch_delay_ms;
  j["workflowDag"] = d.dag_text;
  j["nodeModels"] = d.node_models;  // Hearth's addition: where each node runs (/models/<name>)
  return Json::array({j});
}

}  // namespace

bool ApiRouter::HandleWorkflows(HttpRequest& req, Responder& respond) {
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.empty() || seg[0] != "workflows" || seg.size() > 3) return false;
  if (!workflows_) {
    respond(NotFoundRoute());
    return true;
  }
  if (!Authorized(security::TokenKind::kManagement, req, respond)) return true;
  core::ManagementCallback management_reply = [this, respond](StatusOr<core::ManagementReply> r) {
    if (!r.ok()) {
      respond(WorkflowError(r.status()));
      return;
    }
    ManagementReplyTo(respond)(std::move(r));
  };
  if (seg.size() == 1) {
    if (req.method == "GET") {
      workflow::WorkflowPage page = workflows_->List(IntParam(req.Query("limit", "100")).value_or(100),
                                                     IntParam(req.Query("next_page_token", "0")).value_or(0));
      Json j = Json::object();
      if (page.next_page_token) j["nextPageToken"] = std::to_string(*page.next_page_token);
      j["workflows"] = Json::array();
      for (const auto& [name, url] : page.workflows) j["workflows"].push_back({{"workflowName", name}, {"workflowUrl", url}});
      respond(JsonResponse(200, j));
      return true;
    }
    if (req.method != "POST") {
      respond(MethodNotAllowed());
      return true;
    }
    auto params = RequestParams::From(req);
    if (!params.ok()) {
      respond(ErrorResponse(params.status()));
      return true;
    }
    workflow::WorkflowRegisterParams p;
    p.url = params->Get("url").value_or("");
    p.workflow_name = params->Get("workflow_name").value_or("");
    p.response_timeout_s = IntParam(params->Get("response_timeout")).value_or(p.response_timeout_s);
    p.startup_timeout_s = IntParam(params->Get("startup_timeout")).value_or(p.startup_timeout_s);
    workflows_->Register(p, management_reply);
    return true;
  }
  const std::string& name = seg[1];
  if (req.method == "GET") {
    auto d = workflows_->Describe(name);
    respond(d.ok() ? JsonResponse(200, DescribeJson(*d)) : WorkflowError(d.status()));
  } else if (req.method == "DELETE") {
    workflows_->Unregister(name, management_reply);
  } else {
    respond(MethodNotAllowed());
  }
  return true;
}

bool ApiRouter::HandleWorkflowPredict(HttpRequest& req, Responder& respond) {
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.empty() || ToLower(seg[0]) != "wfpredict") return false;
  if (seg.size() < 2 || seg[1].empty() || !workflows_) {
    respond(NotFoundRoute());
    return true;
  }
  if (!Authorized(security::TokenKind::kInference, req, respond)) return true;
  if (policy_.Draining()) {
    respond(ErrorResponse(Unavailable(core::DrainingMessage())));
    return true;
  }
  core::InferenceRequest ir;
  ir.request_id = RequestIdFor(req);
  auto inputs = HandlerInputs(req);
  if (!inputs.ok()) {
    respond(ErrorResponse(inputs.status()));
    return true;
  }
  ir.inputs = std::move(*inputs);
  ir.headers = std::move(req.headers);
  workflows_->Predict(seg[1], std::move(ir), [respond](core::InferenceResponse r) {
    respond(r.status.ok() ? ToHttpResponse(std::move(r)) : WorkflowError(r.status));
  });
  return true;
}

}  // namespace hearth::frontend
