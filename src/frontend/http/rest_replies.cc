#include "frontend/http/rest_replies.h"

#include <algorithm>

#include "common/ids.h"
#include "common/strings.h"
#include "frontend/http/multipart.h"

namespace hearth::frontend {

std::vector<std::string> PathSegments(const std::string& path) {
  std::vector<std::string> parts = Split(path, '/');
  if (!parts.empty() && parts.front().empty()) parts.erase(parts.begin());
  return parts;
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = FrontendJson(body);
  return r;
}

HttpResponse StatusMessage(int status, const std::string& message) {
  Json j;
  j["status"] = message;
  return JsonResponse(status, j);
}

HttpResponse ErrorResponse(const Status& status, int http_status, const char* type) {
  StatusPresentation p = PresentStatus(status.code());
  const int code = http_status >= 400 && http_status <= 599 ? http_status : p.http_status;
  Json j;
  j["code"] = code;
  j["type"] = type ? type : p.type_name;
  j["message"] = status.message();
  return JsonResponse(code, j);
}

HttpResponse NotFoundRoute() {
  return ErrorResponse(Status(StatusCode::kResourceNotFound,
                              "Requested resource is not found, please refer to API document."));
}

HttpResponse MethodNotAllowed(const std::string& hint) {
  return ErrorResponse(Status(StatusCode::kMethodNotAllowed,
                              "Requested method is not allowed, please refer to API document." + hint));
}

HttpResponse ToHttpResponse(core::InferenceResponse r) {
  HttpResponse out;
  out.status = r.http_status >= 100 && r.http_status <= 599 ? r.http_status : 200;
  out.body = std::move(r.body);
  out.content_type = std::move(r.content_type);
  out.headers = std::move(r.headers);
  return out;
}

std::string RequestIdFor(const HttpRequest& req) {
  std::string id = req.Header("x-request-id");
  if (!id.empty() && id.size() <= 128 &&
      std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 32 && c < 127; })) {
    return id;
  }
  return NewUuid();
}

std::optional<int> IntParam(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return ParseInt(*v);
}

StatusOr<RequestParams> RequestParams::From(const HttpRequest& req) {
  RequestParams p;
  p.req_ = &req;
  p.json_body_ = req.MediaType() == "application/json" && !req.body.empty();
  if (!p.json_body_) return p;
  try {
    p.body_ = Json::parse(req.body);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("Invalid JSON body: ") + e.what());
  }
  if (!p.body_.is_object()) return InvalidArgument("Invalid JSON body: expected an object");
  return p;
}

std::optional<std::string> RequestParams::Get(const char* key) const {
  if (json_body_) {
    auto it = body_.find(key);
    if (it == body_.end() || it->is_null()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (!req_->HasQuery(key)) return std::nullopt;
  return req_->Query(key);
}

StatusOr<std::vector<core::InferenceInput>> HandlerInputs(HttpRequest& req) {
  std::vector<core::InferenceInput> inputs;
  const std::string media = req.MediaType();
  if (media == "multipart/form-data") {
    ASSIGN_OR_RETURN(auto parts, ParseMultipart(req.Header("content-type"), req.body));
    for (auto& p : parts) {
      inputs.push_back({p.name, p.filename.empty() ? "" : p.content_type, std::move(p.value)});
    }
  } else if (media == "application/x-www-form-urlencoded") {
    for (auto& p : ParseUrlEncoded(req.body)) inputs.push_back({p.name, "", std::move(p.value)});
  } else {
    inputs.push_back({"body", media, std::move(req.body)});
  }
  return inputs;
}

}  // namespace hearth::frontend
