#pragma once
// The Open Inference Protocol (KServe v1 and v2) over the core, shared by
// the HTTP routes and the gRPC service. Transport-free and thread-safe;
// nothing here blocks: results arrive through callbacks, on any thread.
//
// Two ways a v2 request reaches a model:
//   tensors   models whose handler takes named tensors (tensor/base_handler;
//             the worker's signature says "protocol": "tensors"). The inputs
//             go to the worker as one raw-tensor request and are batched
//             with others along the first dimension.
//   envelope  every other handler (image_classifier, text_classifier, C++
//             custom handlers): each input becomes one handler request, as
//             TorchServe's kservev2 envelope does, and each answer an output
//             named after its input.
// v1 (`{"instances": [...]}`) sends each instance as one handler request.

#include <functional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "core/metrics.h"
#include "core/model_manager.h"
#include "core/request_policy.h"
#include "frontend/kserve/v2_protocol.h"

namespace hearth::kserve {

struct InferResult {
  std::string model_name;
  std::string model_version;
  bool envelope = false;
  std::vector<WireTensor> tensors;  // tensors path: every output the model returned
  Json envelope_outputs;            // envelope path: v2 output objects (EnvelopeOutputJson)
};
using InferCallback = std::function<void(StatusOr<InferResult>)>;
using PredictionsCallback = std::function<void(StatusOr<Json>)>;

// Envelope outputs as tensors (for binary and gRPC answers): numbers as
// INT64/FP64, everything else as BYTES holding strings or compact JSON.
std::vector<WireTensor> EnvelopeOutputsAsTensors(const Json& outputs);

// Server metadata for GET /v2 and ServerMetadata.
Json ServerMetadata();
// Model metadata for GET /v2/models/{m}: name, versions, platform, inputs, outputs.
// What v2 metadata calls the platform of every Hearth model.
inline constexpr char kPlatform[] = "pytorch_torchscript";
Json ModelMetadata(const core::ModelInfo& info);

class KserveService {
 public:
  // Both outlive the service.
  // `policy` (counting, drain) outlives the service.
  KserveService(core::ModelManager& models, core::RequestPolicy& policy);

  // Runs a v2 request. `request_id` names the jobs in logs; `headers` pass
  // to the handler (lower-case names). `explain` asks handlers for an explanation.
  void Infer(const std::string& model, const std::string& version, InferRequest request,
             const std::string& request_id, core::Headers headers, bool explain, InferCallback done);
  // Runs a v1 {"instances": [...]} body; answers the predictions list.
  void PredictV1(const std::string& model, const std::string& version, std::string_view body,
                 const std::string& request_id, core::Headers headers, bool explain, PredictionsCallback done);

 private:
  // Submits one handler request and records latency metrics.
  void Submit(const std::string& model, const std::string& version, core::InferenceRequest request,
              core::ResponseCallback done);
  // Fans `requests` out as separate jobs; `done` gets the answers in order,
  // or the first error.
  void SubmitAll(const std::string& model, const std::string& version, std::vector<core::InferenceRequest> requests,
                 std::function<void(StatusOr<std::vector<core::InferenceResponse>>)> done);

  core::ModelManager& models_;
  core::RequestPolicy& policy_;
};

}  // namespace hearth::kserve
