#pragma once
// Helpers shared by the built-in handlers: picking a request's input,
// index_to_name.json labels, tensor <-> JSON, error responses.

#include <torch/script.h>

#include <map>
#include <optional>
#include <string>

#include "common/json.h"
#include "common/status.h"
#include "worker.pb.h"

namespace hearth::worker {

// TorchServe's rule for vision handlers: the input named "data", else "body".
const ipc::Input* PrimaryInput(const ipc::Request& request);

void SetError(ipc::Response& response, const Status& status);
void SetJsonBody(ipc::Response& response, const Json& body);

// index_to_name.json in the model directory: class index -> label. Values
// may be a string or a list whose last element is the label; the legacy
// {"object_type_names": [...]} form is read too. Missing file -> empty map.
StatusOr<std::map<int64_t, std::string>> LoadIndexToName(const std::string& model_dir);
std::string LabelFor(const std::map<int64_t, std::string>& labels, int64_t index);

// A tensor as nested JSON lists (numbers, booleans).
Json TensorToJson(const torch::Tensor& tensor);
// Nested JSON lists of numbers -> tensor of `dtype`; error names the problem.
StatusOr<torch::Tensor> JsonToTensor(const Json& value, torch::ScalarType dtype);
std::optional<torch::ScalarType> ParseDtype(const std::string& name);

// The class an explanation is for: the request's "target" input (a form
// field, as TorchServe's explain_handle reads it) or the "target" key of a
// JSON object body; 0 without either. InvalidArgument for a non-integer.
StatusOr<int64_t> ExplanationTarget(const ipc::Request& request);

// The first line of a libtorch error message (they carry C++ backtraces).
std::string ShortTorchError(const std::exception& e);

}  // namespace hearth::worker
