#pragma once
// The gRPC frontend: two grpc++ servers (callback API) over the same core as
// the HTTP routes.
//   inference  (grpc_inference_address:port, 7070): KServe v2
//              inference.GRPCInferenceService, TorchServe's
//              InferenceAPIsService, grpc.health.v1.Health
//   management (grpc_management_address:port, 7071): TorchServe's
//              ManagementAPIsService, grpc.health.v1.Health
// Token auth as for HTTP: metadata "authorization: Bearer <key>"; a bad key
// is PERMISSION_DENIED (TorchServe's code). Health, readiness and metadata
// RPCs of KServe need no key. Errors map through the one status table
// (common/status.h). TLS (enable_grpc_ssl) uses private_key_file and
// certificate_file. Every call is one line in access_log.log.
//
// Thread-safety: Start and Shutdown from one thread; RPCs run on gRPC's
// threads and never block on a worker.

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "config/server_config.h"
#include "core/metrics.h"
#include "core/model_manager.h"
#include "core/request_policy.h"
#include "security/token_authority.h"

namespace hearth::frontend {

class GrpcServer {
 public:
  struct Hooks {
    std::function<void()> on_models_changed; // after a successful management change
  };

  // Everything passed outlives the server; `tokens` may be null (auth off).
  GrpcServer(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
             const config::ServerConfig& config, security::TokenAuthority* tokens, Hooks hooks);
  ~GrpcServer();

  // Binds both listeners; the error names the address and the key to change.
  Status Start();
  // Health turns NOT_SERVING at once (probes see the drain).
  void BeginDrain();
  // Stops both servers, cancelling calls still open after `grace`.
  void Shutdown(std::chrono::milliseconds grace);

  int inference_port() const;
  int management_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::frontend
