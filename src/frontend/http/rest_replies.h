#pragma once
// TorchServe's REST answers and request pieces, shared by the route files
// of ApiRouter (api_router.cc, workflow_routes.cc). Pure.

#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "core/inference_types.h"
#include "frontend/http/http_types.h"

namespace hearth::frontend {

// "/a/b/" -> {"a", "b", ""}: the path's segments without the leading empty one.
std::vector<std::string> PathSegments(const std::string& path);
// TorchServe's pretty JSON body (FrontendJson) with `status`.
HttpResponse JsonResponse(int status, const Json& body);
// {"status": message}
HttpResponse StatusMessage(int status, const std::string& message);
// TorchServe's error body {"code", "type", "message"}; `http_status` (when
// 400..599) replaces the table's code: a handler's PredictionException;
// `type` (when given) replaces the table's exception name.
HttpResponse ErrorResponse(const Status& status, int http_status = 0, const char* type = nullptr);
HttpResponse NotFoundRoute();
HttpResponse MethodNotAllowed(const std::string& hint = "");
// A successful answer (or part) from a handler: its status, body and headers.
HttpResponse ToHttpResponse(core::InferenceResponse r);
// The client's x-request-id when it is short and printable, else a new UUID.
std::string RequestIdFor(const HttpRequest& req);
std::optional<int> IntParam(const std::optional<std::string>& v);

// A request's parameters from its JSON object body (application/json) or,
// without one, its query string, as TorchServe's management API reads them.
class RequestParams {
 public:
  // InvalidArgument for a JSON body that is not an object.
  static StatusOr<RequestParams> From(const HttpRequest& req);
  std::optional<std::string> Get(const char* key) const;

 private:
  const HttpRequest* req_ = nullptr;
  Json body_;
  bool json_body_ = false;
};

// The inputs TorchServe's handlers get from an HTTP request: one per
// multipart or urlencoded form field (file parts keep their type, plain
// fields have none), else one input "body" typed with the media type.
// Takes the body. InvalidArgument for a malformed multipart body.
StatusOr<std::vector<core::InferenceInput>> HandlerInputs(HttpRequest& req);

}  // namespace hearth::frontend
