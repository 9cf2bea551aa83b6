#pragma once
// KServe v2 requests inside the tensor handler: named raw tensors
// (ipc::WireTensor, content type application/x-hearth-tensors) mapped onto
// the TorchScript forward() arguments, batched along the first dimension,
// and the outputs named and sliced back per request.
//
// Input names map to forward() arguments by the argument's own name, by
// "INPUT__<k>" (k-th argument), or by the names in model-config.yaml's
// `metadata.inputs`; a one-argument model takes a single input of any name.
// Outputs are named from the model's return value: a tensor is OUTPUT__0, a
// tuple or list OUTPUT__<k>, a dict its keys; `metadata.outputs` names win.

#include <torch/script.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "worker.pb.h"
#include "worker/handler.h"

namespace hearth::worker {

// The model's v2 metadata: {"protocol": "tensors", "inputs": [{name,
// datatype, shape}], "outputs": [...]}. Datatypes and shapes come from
// model-config.yaml `metadata` when given; TorchScript does not record them,
// so the default is FP32 with shape [-1] (unknown).
Json NamedTensorSignature(const HandlerContext& context);

// Runs the requests (each holding one application/x-hearth-tensors input)
// and fills their responses; requests whose inputs agree on every dimension
// but the first run as one forward() call.
void HandleNamedTensorRequests(const HandlerContext& context, const std::vector<const ipc::Request*>& requests,
                               const std::vector<size_t>& indices, std::vector<ipc::Response>& responses,
                               HandlerTimings& timings);

}  // namespace hearth::worker
