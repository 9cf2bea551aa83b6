#pragma once
// The Open Inference Protocol (KServe v2) tensor format, transport-free:
// parsing infer requests (JSON and the binary tensor data extension) into
// named raw tensors, and writing infer responses back. Shared by the HTTP
// routes and the gRPC service. Pure: no sockets, no torch; thread-safe.
//
// Tensors cross this boundary as ipc::WireTensor: datatype (ipc::DataType),
// shape, and the elements as little-endian bytes (BYTES elements each as a
// u32 length and the bytes, the binary extension's own layout), so the
// worker gets the same bytes whether the client sent JSON, binary or gRPC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "ipc/tensor_codec.h"

namespace hearth::kserve {

using ipc::WireTensor;

struct RequestedOutput {
  std::string name;
  bool binary = false;  // parameters.binary_data
};

struct InferRequest {
  std::optional<std::string> id;          // echoed in the response
  std::vector<WireTensor> inputs;
  std::vector<RequestedOutput> outputs;   // empty: every output
  bool binary_outputs = false;            // parameters.binary_data_output
};

// Parses an HTTP infer body. `header_length` is the Inference-Header-Content-Length
// value: the first that many bytes are the JSON header and the rest hold the
// inputs that carry parameters.binary_data_size, in order. Every input is
// checked: known datatype, non-negative shape, data length matching the
// shape. Errors name the input and the problem.
StatusOr<InferRequest> ParseHttpInferRequest(std::string_view body, std::optional<size_t> header_length);

// Checks that a tensor's bytes match its datatype and shape (BYTES: the
// number of length-prefixed elements).
Status ValidateTensor(const WireTensor& tensor);

// JSON "data" (flat or nested, row-major) to the datatype's bytes.
StatusOr<std::string> JsonToTensorBytes(const Json& data, ipc::DataType datatype, int64_t elements,
                                        const std::string& input_name);
// A tensor's elements as a flat JSON array (FP16/BF16 as numbers, BYTES as strings).
Json TensorToJson(const WireTensor& tensor);
// The elements of a BYTES tensor.
std::vector<std::string> SplitBytesElements(std::string_view data);
std::string JoinBytesElements(const std::vector<std::string>& elements);

// The outputs a request asked for, in its order (all when it named none).
// An unknown name is InvalidArgument naming the model's outputs.
StatusOr<std::vector<WireTensor>> SelectOutputs(const InferRequest& request, std::vector<WireTensor> outputs);

struct HttpInferResponse {
  std::string body;
  std::string content_type;             // application/json or application/octet-stream
  std::optional<size_t> header_length;  // set when binary outputs follow the JSON header
};

// Writes the response for `outputs`, keeping only the requested outputs (in
// the requested order) and sending binary those the request asked for.
// An unknown requested output name is InvalidArgument naming the known ones.
StatusOr<HttpInferResponse> WriteHttpInferResponse(const std::string& model_name, const std::string& model_version,
                                                   const InferRequest& request, std::vector<WireTensor> outputs);

// {"error": message}, the v2 error body.
std::string ErrorBody(const std::string& message);

// Data handlers (image_classifier, ...) under TorchServe's kservev2
// envelope: each input becomes one handler request. Its JSON is the input's
// data reshaped to its shape; a one-element BYTES input is the element
// itself (a base64 image or a text).
Json EnvelopeInputJson(const WireTensor& input);
// One handler answer as a v2 output named after its input, the way numpy
// sees it: a nested list of numbers is flattened (INT64 or FP64), anything
// else is BYTES (a dict: shape [1]; a list of dicts: shape [n]).
Json EnvelopeOutputJson(const std::string& name, const Json& answer);

// Half and bfloat16 conversions (round to nearest even).
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t bits);
uint16_t FloatToBf16(float value);
float Bf16ToFloat(uint16_t bits);

}  // namespace hearth::kserve
