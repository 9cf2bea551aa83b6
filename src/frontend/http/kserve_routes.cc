// The Open Inference Protocol routes of the inference listener:
//   GET  /v2, /v2/health/live, /v2/health/ready
//   GET  /v2/models/{m}[/versions/{v}][/ready]
//   POST /v2/models/{m}[/versions/{v}]/infer|explain
//   GET  /v1/models, /v1/models/{m};  POST /v1/models/{m}:predict|:explain
// Errors are {"error": "..."}. Health and readiness need no token (probes);
// everything else needs the inference key when token auth is on.
#include "common/ids.h"
#include "common/strings.h"
#include "frontend/http/api_router.h"
#include "frontend/kserve/v2_protocol.h"

namespace hearth::frontend {
namespace {

HttpResponse JsonBody(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse KserveError(const Status& status) {
  return JsonBody(PresentStatus(status.code()).http_status, kserve::ErrorBody(status.message()));
}

core::Headers PassHeaders(const HttpRequest& req) {
  core::Headers headers;
  for (const auto& [k, v] : req.headers) {
    if (k != "inference-header-content-length" && k != "content-length") headers.emplace_back(k, v);
  }
  return headers;
}

}  // namespace

bool ApiRouter::HandleKserve(HttpRequest& req, Responder& respond) {
  std::vector<std::string> seg = Split(req.path, '/');
  if (!seg.empty() && seg.front().empty()) seg.erase(seg.begin());
  if (seg.empty() || (seg[0] != "v1" && seg[0] != "v2")) return false;
  const bool v2 = seg[0] == "v2";
  auto method_is = [&](const char* m) {
    if (req.method == m) return true;
    respond(KserveError(Status(StatusCode::kMethodNotAllowed, "use " + std::string(m) + " for " + req.path)));
    return false;
  };
  // Health: no token, so that Kubernetes probes work.
  if (v2 && seg.size() == 3 && seg[1] == "health") {
    if (seg[2] == "live") {
      if (method_is("GET")) respond(JsonBody(200, R"({"live":true})"));
      return true;
    }
    if (seg[2] == "ready") {
      if (!method_is("GET")) return true;
      const bool ready = !policy_.Draining() && models_.AllReady();
      respond(JsonBody(ready ? 200 : 503, ready ? R"({"ready":true})" : R"({"ready":false})"));
      return true;
    }
    return false;
  }
  if (v2 && seg.size() == 1) {
    if (method_is("GET")) respond(JsonBody(200, kserve::ServerMetadata().dump()));
    return true;
  }
  if (seg.size() < 2 || seg[1] != "models") return false;
  const std::string request_id = NewUuid();

  if (!v2) {
    if (seg.size() == 2) {  // GET /v1/models
      if (!Authorized(security::TokenKind::kInference, req, respond) || !method_is("GET")) return true;
      Json j;
      j["models"] = models_.ModelNames();
      respond(JsonBody(200, j.dump()));
      return true;
    }
    if (seg.size() != 3) return false;
    std::string name = seg[2], verb;
    if (size_t colon = name.rfind(':'); colon != std::string::npos) {
      verb = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (!Authorized(security::TokenKind::kInference, req, respond)) return true;
    if (verb.empty()) {
      if (!method_is("GET")) return true;
      auto info = models_.Info(name, "");
      if (!info.ok()) {
        respond(KserveError(info.status()));
        return true;
      }
      Json j;
      j["name"] = name;
      j["ready"] = info->ready;
      respond(JsonBody(200, j.dump()));
      return true;
    }
    if (verb != "predict" && verb != "explain") return false;
    if (!method_is("POST")) return true;
    kserve_.PredictV1(name, "", req.body, request_id, PassHeaders(req), verb == "explain",
                      [respond](StatusOr<Json> r) {
                        if (!r.ok()) {
                          respond(KserveError(r.status()));
                          return;
                        }
                        respond(JsonBody(200, r->dump(-1, ' ', false, Json::error_handler_t::replace)));
                      });
    return true;
  }

  // /v2/models/{m}[/versions/{v}][/ready|/infer|/explain]
  if (seg.size() < 3) return false;
  const std::string name = seg[2];
  std::string version;
  size_t next = 3;
  if (seg.size() >= 5 && seg[3] == "versions") {
    version = seg[4];
    next = 5;
  }
  if (seg.size() > next + 1) return false;
  const std::string action = seg.size() == next + 1 ? seg[next] : "";
  if (action == "ready") {
    if (!method_is("GET")) return true;
    auto info = models_.Info(name, version);
    if (!info.ok()) {
      respond(KserveError(info.status()));
      return true;
    }
    Json j;
    j["name"] = name;
    j["ready"] = info->ready && !policy_.Draining();
    respond(JsonBody(j["ready"].get<bool>() ? 200 : 400, j.dump()));
    return true;
  }
  if (!Authorized(security::TokenKind::kInference, req, respond)) return true;
  if (action.empty()) {
    if (!method_is("GET")) return true;
    auto info = models_.Info(name, version);
    if (!info.ok()) {
      respond(KserveError(info.status()));
      return true;
    }
    respond(JsonBody(200, kserve::ModelMetadata(*info).dump()));
    return true;
  }
  if (action != "infer" && action != "explain") return false;
  if (!method_is("POST")) return true;
  std::optional<size_t> header_length;
  if (std::string h = req.Header("inference-header-content-length"); !h.empty()) {
    auto n = ParseInt64(h);
    if (!n || *n < 0) {
      respond(KserveError(InvalidArgument("Inference-Header-Content-Length \"" + h + "\" is not a byte count")));
      return true;
    }
    header_length = static_cast<size_t>(*n);
  }
  auto parsed = kserve::ParseHttpInferRequest(req.body, header_length);
  if (!parsed.ok()) {
    respond(KserveError(parsed.status()));
    return true;
  }
  // The request (without its tensors) is needed again to write the answer.
  auto shape = std::make_shared<kserve::InferRequest>();
  shape->id = parsed->id;
  shape->outputs = parsed->outputs;
  shape->binary_outputs = parsed->binary_outputs;
  kserve_.Infer(name, version, std::move(*parsed), request_id, PassHeaders(req), action == "explain",
                [respond, shape](StatusOr<kserve::InferResult> r) {
                  if (!r.ok()) {
                    respond(KserveError(r.status()));
                    return;
                  }
                  const bool any_binary =
                      shape->binary_outputs ||
                      std::any_of(shape->outputs.begin(), shape->outputs.end(), [](const auto& o) { return o.binary; });
                  if (r->envelope && !any_binary) {
                    // TorchServe's kservev2 form: handler answers stay JSON.
                    Json j;
                    if (shape->id) j["id"] = *shape->id;
                    j["model_name"] = r->model_name;
                    j["model_version"] = r->model_version;
                    j["outputs"] = std::move(r->envelope_outputs);
                    respond(JsonBody(200, j.dump(-1, ' ', false, Json::error_handler_t::replace)));
                    return;
                  }
                  std::vector<kserve::WireTensor> outputs =
                      r->envelope ? kserve::EnvelopeOutputsAsTensors(r->envelope_outputs) : std::move(r->tensors);
                  if (r->envelope) shape->outputs.clear();  // envelope outputs are named after inputs
                  auto written =
                      kserve::WriteHttpInferResponse(r->model_name, r->model_version, *shape, std::move(outputs));
                  if (!written.ok()) {
                    respond(KserveError(written.status()));
                    return;
                  }
                  HttpResponse out;
                  out.status = 200;
                  out.content_type = written->content_type;
                  out.body = std::move(written->body);
                  if (written->header_length) {
                    out.headers.emplace_back("Inference-Header-Content-Length",
                                             std::to_string(*written->header_length));
                  }
                  respond(std::move(out));
                });
  return true;
}

}  // namespace hearth::frontend
