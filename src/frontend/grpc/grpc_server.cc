#include "frontend/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "common/files.h"
#include "common/logging.h"
#include "frontend/grpc/grpc_internal.h"

namespace hearth::frontend {
using namespace grpc_internal;  // NOLINT: this file wires the services of grpc_internal.h
namespace {


std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

struct GrpcServer::Impl {
  Impl(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
       const config::ServerConfig& config, security::TokenAuthority* tokens, Hooks hooks)
      : shared{models, metrics, policy, config, tokens, std::move(hooks), kserve::KserveService(models, policy)},
        kserve(MakeKserveService(shared)),
        ts_inference(MakeTorchServeInferenceService(shared)),
        ts_management(MakeTorchServeManagementService(shared)) {}

  Shared shared;
  std::unique_ptr<kv2::GRPCInferenceService::CallbackService> kserve;
  std::unique_ptr<tsi::InferenceAPIsService::CallbackService> ts_inference;
  std::unique_ptr<tsm::ManagementAPIsService::CallbackService> ts_management;
  std::unique_ptr<grpc::Server> inference;
  std::unique_ptr<grpc::Server> management;
  int inference_port = 0;
  int management_port = 0;
};

GrpcServer::GrpcServer(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
                       const config::ServerConfig& config, security::TokenAuthority* tokens, Hooks hooks)
    : impl_(std::make_unique<Impl>(models, metrics, policy, config, tokens, std::move(hooks))) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

Status GrpcServer::Start() {
  const config::ServerConfig& c = impl_->shared.config;
  grpc::EnableDefaultHealthCheckService(true);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (c.enable_grpc_ssl) {
    if (c.private_key_file.empty() || c.certificate_file.empty()) {
      return InvalidArgument("enable_grpc_ssl=true needs private_key_file and certificate_file (PEM) in config.properties");
    }
    auto key = ReadFile(c.private_key_file);
    if (!key.ok()) return key.status().WithPrefix("private_key_file");
    auto cert = ReadFile(c.certificate_file);
    if (!cert.ok()) return cert.status().WithPrefix("certificate_file");
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  auto build = [&](const char* what, const char* key, const std::string& host, int port, int64_t age_ms,
                   int64_t grace_ms, std::vector<grpc::Service*> services, int& bound)
      -> StatusOr<std::unique_ptr<grpc::Server>> {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(HostPort(host, port), credentials, &bound);
    for (auto* s : services) builder.RegisterService(s);
    builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(c.max_request_size, INT_MAX)));
    builder.SetMaxSendMessageSize(static_cast<int>(std::min<int64_t>(c.max_response_size, INT_MAX)));
    if (age_ms > 0) builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, static_cast<int>(age_ms));
    if (grace_ms > 0) builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, static_cast<int>(grace_ms));
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || bound == 0) {
      return Unavailable(std::string(what) + ": cannot listen on " + HostPort(host, port) +
                         " (in use? change " + key + ", or set hearth_grpc_enable=false)");
    }
    return server;
  };
  auto inference = build("gRPC inference API", "grpc_inference_port", c.grpc_inference_host, c.grpc_inference_port,
                         c.grpc_inference_max_connection_age_ms, c.grpc_inference_max_connection_age_grace_ms,
                         {impl_->kserve.get(), impl_->ts_inference.get()}, impl_->inference_port);
  if (!inference.ok()) return inference.status();
  impl_->inference = std::move(*inference);
  auto management = build("gRPC management API", "grpc_management_port", c.grpc_management_host,
                          c.grpc_management_port, c.grpc_management_max_connection_age_ms,
                          c.grpc_management_max_connection_age_grace_ms, {impl_->ts_management.get()},
                          impl_->management_port);
  if (!management.ok()) {
    impl_->inference->Shutdown();
    impl_->inference.reset();
    return management.status();
  }
  impl_->management = std::move(*management);
  return Status::Ok();
}

void GrpcServer::BeginDrain() {
  for (auto* s : {impl_->inference.get(), impl_->management.get()}) {
    if (s && s->GetHealthCheckService()) s->GetHealthCheckService()->SetServingStatus(false);
  }
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::system_clock::now() + grace;
  for (auto* s : {&impl_->inference, &impl_->management}) {
    if (*s) {
      (*s)->Shutdown(deadline);
      s->reset();
    }
  }
}

int GrpcServer::inference_port() const { return impl_->inference_port; }
int GrpcServer::management_port() const { return impl_->management_port; }

}  // namespace hearth::frontend
