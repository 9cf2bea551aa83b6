#include "common/status.h"

#include <cstdio>
#include <cstdlib>

namespace hearth {

// The one table from error codes to what clients see: HTTP status,
// TorchServe's exception name and the gRPC status code (grpc::StatusCode).
StatusPresentation PresentStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return {200, "", 0};
    case StatusCode::kInvalidArgument: return {400, "BadRequestException", 3};
    case StatusCode::kNotFound: return {404, "ModelNotFoundException", 5};
    case StatusCode::kVersionNotFound: return {404, "ModelVersionNotFoundException", 5};
    case StatusCode::kAlreadyExists: return {409, "ConflictStatusException", 6};
    case StatusCode::kFailedPrecondition: return {403, "InvalidModelVersionException", 9};
    case StatusCode::kUnavailable: return {503, "ServiceUnavailableException", 14};
    case StatusCode::kInternal: return {500, "InternalServerException", 13};
    case StatusCode::kResourceExhausted: return {507, "InternalServerException", 8};
    case StatusCode::kDeadlineExceeded: return {408, "RequestTimeoutException", 4};
    case StatusCode::kMethodNotAllowed: return {405, "MethodNotAllowedException", 12};
    case StatusCode::kPayloadTooLarge: return {413, "RequestEntityTooLargeException", 8};
    case StatusCode::kUnauthenticated: return {400, "InvalidKeyException", 7};  // PERMISSION_DENIED
    case StatusCode::kResourceNotFound: return {404, "ResourceNotFoundException", 5};
    case StatusCode::kUnsupportedMediaType: return {415, "UnsupportedMediaTypeException", 3};
    case StatusCode::kPredictionFailed: return {503, "InternalServerException", 13};
    case StatusCode::kUnimplemented: return {501, "NotImplementedException", 12};  // UNIMPLEMENTED
  }
  return {500, "InternalServerException", 13};
}

int HttpStatusForGrpcCode(int grpc_code) {
  for (int value = 0; value <= static_cast<int>(StatusCode::kLast); ++value) {
    const StatusPresentation p = PresentStatus(static_cast<StatusCode>(value));
    if (p.grpc_code == grpc_code) return p.http_status;
  }
  return 500;
}

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kVersionNotFound: return "VERSION_NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kMethodNotAllowed: return "METHOD_NOT_ALLOWED";
    case StatusCode::kPayloadTooLarge: return "PAYLOAD_TOO_LARGE";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kResourceNotFound: return "RESOURCE_NOT_FOUND";
    case StatusCode::kUnsupportedMediaType: return "UNSUPPORTED_MEDIA_TYPE";
    case StatusCode::kPredictionFailed: return "PREDICTION_FAILED";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

StatusCode StatusCodeFromInt(int value) {
  if (value < 0 || value > static_cast<int>(StatusCode::kLast)) return StatusCode::kInternal;
  return static_cast<StatusCode>(value);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithPrefix(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + message_);
}

namespace internal {
void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "HEARTH_CHECK failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}
}  // namespace internal

}  // namespace hearth
