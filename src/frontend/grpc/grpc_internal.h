#pragma once
// What the gRPC services of grpc_server.cc share (internal to
// src/frontend/grpc): the core references and authorization (Shared), one
// access-log line and response count per call (CallLog), unary completion
// (Unary), and the factories of the three services.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/logging.h"
#include "frontend/grpc/grpc_server.h"
#include "frontend/kserve/kserve_service.h"
#include "kserve/grpc_predict_v2.grpc.pb.h"
#include "torchserve/inference.grpc.pb.h"
#include "torchserve/management.grpc.pb.h"

namespace hearth::frontend::grpc_internal {

namespace kv2 = ::inference;
namespace tsi = ::org::pytorch::serve::grpc::inference;
namespace tsm = ::org::pytorch::serve::grpc::management;
using Clock = std::chrono::steady_clock;

inline grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(PresentStatus(st.code()).grpc_code), st.message());
}

// "ipv4:127.0.0.1:5000" -> "/127.0.0.1:5000", TorchServe's access-log form.
inline std::string PeerForLog(const std::string& peer) {
  size_t colon = peer.find(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(colon + 1));
}

// What every service needs.
struct Shared {
  core::ModelManager& models;
  core::Metrics& metrics;
  core::RequestPolicy& policy;
  const config::ServerConfig& config;
  security::TokenAuthority* tokens;
  GrpcServer::Hooks hooks;
  kserve::KserveService kserve;

  bool Draining() const { return policy.Draining(); }

  bool Authorized(security::TokenKind kind, grpc::CallbackServerContext* ctx) const {
    if (!tokens) return true;
    const auto& md = ctx->client_metadata();
    auto it = md.find("authorization");
    std::string value = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
    return tokens->Check(kind, value);
  }

  grpc::Status Denied(security::TokenKind kind) const {
    return ToGrpc(Status(StatusCode::kUnauthenticated,
                        std::string("Token Authorization failed. Token either incorrect, expired, or not provided "
                                    "correctly (send metadata \"authorization: Bearer <") +
                            (kind == security::TokenKind::kInference ? "inference" : "management") + " key>\" from " +
                            tokens->key_file() + ")"));
  }
};

// One RPC's access-log line and response counter.
class CallLog {
 public:
  CallLog(Shared& shared, grpc::CallbackServerContext* ctx, std::string method)
      : shared_(shared), peer_(PeerForLog(ctx->peer())), method_(std::move(method)), start_(Clock::now()) {}

  void Done(const grpc::Status& status) const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    shared_.metrics.CountResponse(HttpStatusForGrpcCode(status.error_code()));
    logging::Access(peer_ + " \"gRPC " + method_ + " HTTP/2.0\" " + std::to_string(status.error_code()) + " " +
                    std::to_string(ms));
  }

 private:
  Shared& shared_;
  std::string peer_;
  std::string method_;
  Clock::time_point start_;
};

// Finishes a unary call now or later (from any thread), logging it.
class Unary {
 public:
  Unary(Shared& shared, grpc::CallbackServerContext* ctx, std::string method)
      : reactor_(ctx->DefaultReactor()), log_(shared, ctx, std::move(method)) {}
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  grpc::ServerUnaryReactor* Finish(const grpc::Status& status) const {
    log_.Done(status);
    reactor_->Finish(status);
    return reactor_;
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  CallLog log_;
};

// KServe v2 (grpc_kserve.cc).
std::unique_ptr<kv2::GRPCInferenceService::CallbackService> MakeKserveService(Shared& shared);
// TorchServe's inference and management services (grpc_torchserve.cc).
std::unique_ptr<tsi::InferenceAPIsService::CallbackService> MakeTorchServeInferenceService(Shared& shared);
std::unique_ptr<tsm::ManagementAPIsService::CallbackService> MakeTorchServeManagementService(Shared& shared);

}  // namespace hearth::frontend::grpc_internal
