#pragma once
// What a worker reports of its model after loading (LoadModelResult's
// signature_json, written by the handler: worker/handler.h Signature()):
// how KServe v2 requests reach it and its inputs and outputs. Parsed once,
// where the worker's answer arrives; the KServe frontends turn it back into
// metadata JSON or gRPC. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ipc/datatype.h"

namespace hearth::ipc {

struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;  // -1: any size
};

struct ModelSignature {
  // kTensors: the handler takes named tensors (application/x-hearth-tensors);
  // kEnvelope: each v2 input is one request, as TorchServe's kservev2 envelope.
  enum class Protocol { kEnvelope, kTensors };
  Protocol protocol = Protocol::kEnvelope;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// {"protocol": "tensors"|"envelope", "inputs": [{"name", "datatype", "shape"}], "outputs": [...]}.
// InvalidArgument naming the field that is wrong.
StatusOr<ModelSignature> ParseModelSignature(const std::string& json);

}  // namespace hearth::ipc
