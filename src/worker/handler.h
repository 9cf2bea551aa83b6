#pragma once
// The handler interface inside hearth-worker: turns a batch of requests into
// one response each, using the loaded TorchScript module. Built-in handlers
// (image_classifier, tensor, ...) implement it; the worker loop calls it.
//
// Contract: Handle() fills exactly one Response per request, in order. A bad
// request gets its own error Response (status_code = hearth::StatusCode,
// message naming the problem) and never fails its batch-mates. Handlers run
// on the worker's single thread; libtorch parallelizes inside operators.

#include <torch/script.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "worker.pb.h"

namespace hearth::worker {

struct HandlerContext {
  torch::jit::Module* module = nullptr;
  std::string model_name;
  std::string model_version;
  std::string model_dir;
  std::string handler;
  int batch_size = 1;
  Json yaml = Json::object();  // model-config.yaml
  bool channels_last = false;  // feed 4-D inputs channels-last (set by ipex_enable optimization)
  bool bf16 = false;           // feed floating inputs as bfloat16 (ipex_dtype: bfloat16)
};

// Per-batch timings the handler reports (microseconds).
struct HandlerTimings {
  int64_t preprocess_us = 0;
  int64_t inference_us = 0;
  int64_t postprocess_us = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Called once after the model is loaded. An error fails the load.
  virtual Status Initialize(const HandlerContext& context) = 0;
  // Warms the model up at the batch sizes it will see (optional).
  virtual void WarmUp() {}
  // A typical forward input (batch 1), used to time and check load-time
  // optimizations; empty when the handler cannot know the input's shape.
  virtual std::vector<torch::IValue> ExampleInputs() const { return {}; }
  // The model's KServe v2 metadata, sent to the server after loading:
  // {"protocol": "tensors" | "envelope", "inputs": [...], "outputs": [...]}.
  // "tensors" handlers take application/x-hearth-tensors requests (see
  // handlers/named_tensors.h); the default, "envelope", gets each v2 input
  // as one request, the way TorchServe's kservev2 envelope does.
  virtual Json Signature() const {
    return Json::parse(R"({"protocol": "envelope",
        "inputs": [{"name": "data", "datatype": "BYTES", "shape": [-1]}],
        "outputs": [{"name": "data", "datatype": "BYTES", "shape": [-1]}]})");
  }
  virtual void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
                      HandlerTimings& timings) = 0;
  // /explanations and KServe :explain requests (the "explain: True"
  // header): one Response each, like Handle. Returns Unimplemented (the
  // default) when the handler cannot explain at all; the worker then
  // answers every such request 501 naming the handler.
  virtual Status Explain(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses) {
    (void)requests;
    (void)responses;
    return Status(StatusCode::kUnimplemented, "");
  }
};

// Built-in handler names Hearth runs natively.
const std::vector<std::string>& BuiltinHandlerNames();
// Creates the handler a manifest names. Errors are not retryable: the same
// name fails the same way every time.
StatusOr<std::unique_ptr<Handler>> CreateHandler(const std::string& name);

}  // namespace hearth::worker
