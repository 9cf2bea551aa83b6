#pragma once
// Hearth's one error type. Every fallible call across a module boundary
// returns Status or StatusOr<T>; exceptions from libtorch, yaml-cpp, JSON or
// archive libraries are caught where those libraries are called and converted
// once. The message names the offending thing, e.g.
//   model "rn50": batch_size must be >= 1, got 0
// StatusCode values travel over the worker protocol as integers: never
// renumber them.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hearth {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // bad user input: 400
  kNotFound = 2,           // unknown model: 404
  kVersionNotFound = 3,    // unknown model version: 404
  kAlreadyExists = 4,      // 409
  kFailedPrecondition = 5, // e.g. removing the default version: 403
  kUnavailable = 6,        // queue full, no worker, shutting down: 503
  kInternal = 7,           // 500
  kResourceExhausted = 8,  // out of memory: 507
  kDeadlineExceeded = 9,   // cleanup timed out: 408
  kMethodNotAllowed = 10,  // 405
  kPayloadTooLarge = 11,   // 413
  kUnauthenticated = 12,   // bad token: 400 InvalidKeyException
  kResourceNotFound = 13,  // unknown URL path: 404
  kUnsupportedMediaType = 14,  // body cannot be decoded: 415
  kPredictionFailed = 15,  // handler failure TorchServe reports as 503
  kUnimplemented = 16,     // e.g. an explanation from a handler that cannot explain: 501
  kLast = kUnimplemented,
};

// How a StatusCode appears to clients: HTTP status and TorchServe's
// exception type name (the "type" field of error JSON), gRPC status.
struct StatusPresentation {
  int http_status;
  const char* type_name;
  int grpc_code;  // grpc::StatusCode value (kept numeric: common does not link gRPC)
};
StatusPresentation PresentStatus(StatusCode code);
const char* StatusCodeName(StatusCode code);
// Maps an integer from the wire back to a StatusCode; unknown -> kInternal.
StatusCode StatusCodeFromInt(int value);
// The HTTP status the table gives the first StatusCode presented with this
// gRPC code (0 -> 200; a code no StatusCode uses -> 500): the table read
// backwards, for counting gRPC answers as Requests2XX/4XX/5XX.
int HttpStatusForGrpcCode(int grpc_code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;
  // Returns a copy whose message is "<prefix>: <message>".
  Status WithPrefix(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hearth

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)

// Returns from the calling function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::hearth::Status status_macro_ = (expr);       \
    if (!status_macro_.ok()) return status_macro_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()): declares x from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(HEARTH_CONCAT(statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// Invariants that only a bug can break: crash loudly.
#define HEARTH_CHECK(cond)                                                            \
  do {                                                                                \
    if (!(cond)) ::hearth::internal::CheckFailed(#cond, __FILE__, __LINE__);          \
  } while (0)

namespace hearth::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}
