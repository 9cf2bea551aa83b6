// tensor (also base_handler): models that take and return plain tensors.
//
// Request body (application/json or any JSON text), one sample per request,
// without the batch dimension, which Hearth adds when it stacks a batch:
//   [1.0, 2.0, 3.0]                                  one float32 input
//   {"data": [[1, 2], [3, 4]], "dtype": "int64"}     one input of a dtype
//   {"inputs": [{"data": [...], "dtype": "int64"}, {"data": [...]}]}
//                                                    several positional inputs
// Response: the sample's slice of the output as nested lists; a tuple or
// list output becomes a JSON list of those, a dict output a JSON object.
#include <chrono>

#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/handlers/named_tensors.h"
#include "worker/npy.h"
#include "worker/optimize.h"
#include "common/strings.h"
#include "ipc/tensor_codec.h"

namespace hearth::worker {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

StatusOr<torch::Tensor> ParseOneInput(const Json& spec) {
  if (spec.is_object()) {
    auto data = spec.find("data");
    if (data == spec.end()) return InvalidArgument("tensor input object needs a \"data\" field");
    torch::ScalarType dtype = torch::kFloat;
    if (auto dt = spec.find("dtype"); dt != spec.end()) {
      if (!dt->is_string()) return InvalidArgument("\"dtype\" must be a string such as \"float32\" or \"int64\"");
      auto parsed = ParseDtype(dt->get<std::string>());
      if (!parsed) return InvalidArgument("unknown dtype \"" + dt->get<std::string>() + "\"");
      dtype = *parsed;
    }
    return JsonToTensor(*data, dtype);
  }
  return JsonToTensor(spec, torch::kFloat);
}

StatusOr<std::vector<torch::Tensor>> ParseRequest(const ipc::Request& request) {
  const ipc::Input* input = PrimaryInput(request);
  if (!input || input->value().empty()) {
    return InvalidArgument("empty request: send a JSON array (one sample) as the body");
  }
  // Binary forms: a .npy file, or raw little-endian bytes described by headers.
  if (input->content_type() == "application/x-npy" || LooksLikeNpy(input->value())) {
    ASSIGN_OR_RETURN(torch::Tensor t, ReadNpy(input->value(), "request body"));
    return std::vector<torch::Tensor>{t};
  }
  if (input->content_type() == "application/octet-stream") {
    const auto& headers = request.headers();
    torch::ScalarType dtype = torch::kFloat;
    if (auto it = headers.find("x-tensor-dtype"); it != headers.end()) {
      auto parsed = ParseDtype(it->second);
      if (!parsed) return InvalidArgument("unknown X-Tensor-Dtype \"" + it->second + "\"");
      dtype = *parsed;
    }
    std::vector<int64_t> shape;
    if (auto it = headers.find("x-tensor-shape"); it != headers.end()) {
      for (const auto& d : Split(it->second, ',')) {
        auto v = ParseInt64(d);
        if (!v || *v < 0) return InvalidArgument("bad X-Tensor-Shape \"" + it->second + "\"");
        shape.push_back(*v);
      }
    }
    ASSIGN_OR_RETURN(torch::Tensor t, FromRawBytes(input->value(), dtype, shape));
    return std::vector<torch::Tensor>{t};
  }
  Json j;
  try {
    j = Json::parse(input->value());
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("body is not valid JSON: ") + e.what());
  }
  std::vector<torch::Tensor> tensors;
  if (j.is_object() && j.contains("inputs")) {
    if (!j["inputs"].is_array() || j["inputs"].empty()) return InvalidArgument("\"inputs\" must be a non-empty list");
    for (const auto& spec : j["inputs"]) {
      ASSIGN_OR_RETURN(torch::Tensor t, ParseOneInput(spec));
      tensors.push_back(t);
    }
    return tensors;
  }
  ASSIGN_OR_RETURN(torch::Tensor t, ParseOneInput(j));
  tensors.push_back(t);
  return tensors;
}

// The row-th sample of an output value, as JSON.
Json SliceToJson(const torch::IValue& value, int64_t row) {
  if (value.isTensor()) return TensorToJson(value.toTensor()[row]);
  if (value.isTuple()) {
    Json arr = Json::array();
    for (const auto& e : value.toTuple()->elements()) arr.push_back(SliceToJson(e, row));
    return arr;
  }
  if (value.isList()) {
    Json arr = Json::array();
    for (const auto& e : value.toListRef()) arr.push_back(SliceToJson(e, row));
    return arr;
  }
  if (value.isGenericDict()) {
    Json obj = Json::object();
    for (const auto& kv : value.toGenericDict()) {
      std::string key = kv.key().isString() ? kv.key().toStringRef() : kv.key().tagKind();
      obj[key] = SliceToJson(kv.value(), row);
    }
    return obj;
  }
  if (value.isDouble()) return value.toDouble();
  if (value.isInt()) return value.toInt();
  if (value.isBool()) return value.toBool();
  return value.tagKind();
}

std::string ShapeKey(const std::vector<torch::Tensor>& tensors) {
  std::string key;
  for (const auto& t : tensors) key += c10::str(t.sizes(), t.scalar_type(), ";");
  return key;
}

class TensorHandler final : public Handler {
 public:
  Status Initialize(const HandlerContext& context) override {
    context_ = context;
    return Status::Ok();
  }

  Json Signature() const override { return NamedTensorSignature(context_); }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    // Inputs, forward and the slicing of outputs: no autograd bookkeeping anywhere.
    torch::InferenceMode inference;
    // KServe v2 requests (named tensors) take their own path.
    std::vector<size_t> named;
    for (size_t i = 0; i < requests.size(); ++i) {
      const ipc::Input* input = PrimaryInput(*requests[i]);
      if (input && input->content_type() == ipc::kTensorsContentType) named.push_back(i);
    }
    if (!named.empty()) HandleNamedTensorRequests(context_, requests, named, responses, timings);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<torch::Tensor>> parsed(requests.size());
    std::vector<std::pair<std::string, std::vector<size_t>>> groups;  // same shapes batch together
    for (size_t i = 0; i < requests.size(); ++i) {
      if (std::find(named.begin(), named.end(), i) != named.end()) continue;
      auto p = ParseRequest(*requests[i]);
      if (!p.ok()) {
        SetError(responses[i], p.status());
        continue;
      }
      parsed[i] = std::move(*p);
      // One request needs no grouping (formatting the key costs more than the multiply-add of a tiny model).
      std::string key = requests.size() == 1 ? std::string() : ShapeKey(parsed[i]);
      auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == key; });
      if (g == groups.end()) groups.push_back({key, {i}});
      else g->second.push_back(i);
    }
    timings.preprocess_us += MicrosSince(t0);
    for (const auto& [key, members] : groups) {
      std::vector<torch::IValue> args;
      const size_t n_inputs = parsed[members.front()].size();
      for (size_t a = 0; a < n_inputs; ++a) {
        std::vector<torch::Tensor> column;
        for (size_t i : members) column.push_back(parsed[i][a]);
        // One sample needs no copy into a batch.
        args.emplace_back(column.size() == 1 ? column.front().unsqueeze(0) : torch::stack(column));
      }
      if (context_.bf16) CastInputsToBf16(args);
      auto t1 = std::chrono::steady_clock::now();
      torch::IValue out;
      try {
        out = context_.module->forward(args);
      } catch (const std::exception& e) {
        Status st = InvalidArgument("model rejected the input: " + ShortTorchError(e));
        for (size_t i : members) SetError(responses[i], st);
        continue;
      }
      timings.inference_us += MicrosSince(t1);
      auto t2 = std::chrono::steady_clock::now();
      for (size_t row = 0; row < members.size(); ++row) {
        try {
          const auto& headers = requests[members[row]]->headers();
          auto accept = headers.find("accept");
          const std::string wants = accept == headers.end() ? "" : accept->second;
          if (out.isTensor() && (wants.find("application/x-npy") != std::string::npos ||
                                 wants.find("application/octet-stream") != std::string::npos)) {
            torch::Tensor slice = out.toTensor()[static_cast<int64_t>(row)].contiguous();
            ipc::Response& r = responses[members[row]];
            r.set_status_code(0);
            if (wants.find("application/x-npy") != std::string::npos) {
              r.set_body(WriteNpy(slice));
              r.set_content_type("application/x-npy");
            } else {
              if (slice.is_quantized()) slice = slice.dequantize();
              if (slice.scalar_type() == torch::kBFloat16) slice = slice.to(torch::kFloat);
              r.set_body(std::string(static_cast<const char*>(slice.data_ptr()), slice.numel() * slice.element_size()));
              r.set_content_type("application/octet-stream");
              std::string shape;
              for (int64_t d = 0; d < slice.dim(); ++d) shape += (d ? "," : "") + std::to_string(slice.size(d));
              (*r.mutable_headers())["x-tensor-dtype"] = DtypeName(slice.scalar_type());
              (*r.mutable_headers())["x-tensor-shape"] = shape;
            }
            continue;
          }
          SetJsonBody(responses[members[row]], SliceToJson(out, static_cast<int64_t>(row)));
        } catch (const std::exception& e) {
          SetError(responses[members[row]],
                   Internal("cannot convert the model output for this request: " + ShortTorchError(e)));
        }
      }
      timings.postprocess_us += MicrosSince(t2);
    }
  }

 private:
  HandlerContext context_;
};

}  // namespace

std::unique_ptr<Handler> MakeTensorHandler() { return std::make_unique<TensorHandler>(); }

}  // namespace hearth::worker
