#include "worker/handlers/handler_util.h"

#include <type_traits>

#include <filesystem>

#include "common/files.h"
#include "common/strings.h"

namespace hearth::worker {

const ipc::Input* PrimaryInput(const ipc::Request& request) {
  const ipc::Input* body = nullptr;
  for (const auto& in : request.inputs()) {
    if (in.name() == "data" && !in.value().empty()) return &in;
    if (in.name() == "body" && !body) body = &in;
  }
  if (body) return body;
  for (const auto& in : request.inputs()) {
    if (in.name() == "data") return &in;
  }
  return request.inputs_size() == 1 ? &request.inputs(0) : nullptr;
}

StatusOr<int64_t> ExplanationTarget(const ipc::Request& request) {
  for (const auto& in : request.inputs()) {
    std::optional<int64_t> target;
    if (in.name() == "target") {
      target = ParseInt64(Trim(in.value()));
      if (!target) return InvalidArgument("target must be a class index, got \"" + in.value() + "\"");
      return *target;
    }
    if (in.name() == "body" && in.content_type() == "application/json") {
      Json body = Json::parse(in.value(), nullptr, /*allow_exceptions=*/false);
      if (body.is_object() && body.contains("target")) {
        if (!body["target"].is_number_integer()) {
          return InvalidArgument("target must be a class index, got " + body["target"].dump());
        }
        return body["target"].get<int64_t>();
      }
    }
  }
  return int64_t{0};
}

void SetError(ipc::Response& response, const Status& status) {
  response.set_status_code(static_cast<int>(status.code()));
  response.set_message(status.message());
  response.clear_body();
}

void SetJsonBody(ipc::Response& response, const Json& body) {
  response.set_status_code(0);
  response.set_body(PythonJson(body));
  response.set_content_type("application/json");
}

StatusOr<std::map<int64_t, std::string>> LoadIndexToName(const std::string& model_dir) {
  std::map<int64_t, std::string> labels;
  std::filesystem::path path = std::filesystem::path(model_dir) / "index_to_name.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return labels;
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument("index_to_name.json is not valid JSON: " + std::string(e.what()));
  }
  if (j.is_object() && j.contains("object_type_names") && j["object_type_names"].is_array()) {
    int64_t i = 0;
    for (const auto& v : j["object_type_names"]) labels[i++] = v.is_string() ? v.get<std::string>() : v.dump();
    return labels;
  }
  if (!j.is_object()) return InvalidArgument("index_to_name.json must map class indices to labels");
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto index = ParseInt64(it.key());
    if (!index) continue;
    const Json& v = it.value();
    if (v.is_string()) labels[*index] = v.get<std::string>();
    else if (v.is_array() && !v.empty() && v.back().is_string()) labels[*index] = v.back().get<std::string>();
    else labels[*index] = v.dump();
  }
  return labels;
}

std::string LabelFor(const std::map<int64_t, std::string>& labels, int64_t index) {
  auto it = labels.find(index);
  return it == labels.end() ? std::to_string(index) : it->second;
}

namespace {
// Nested JSON lists of shape[depth...] from flat values, in row-major order.
template <typename T>
Json Nest(const T* values, const c10::IntArrayRef shape, size_t depth, size_t& next) {
  if (depth == shape.size()) return Json(values[next++]);
  Json arr = Json::array();
  for (int64_t i = 0; i < shape[depth]; ++i) arr.push_back(Nest(values, shape, depth + 1, next));
  return arr;
}

// The values of a contiguous tensor as JSON numbers with one conversion for
// the whole tensor (not one tensor operation per element): floating types as
// float32 widened to double (what item<float>() gives), double as double,
// bool as bool, every integer type as int64.
Json ToJsonValues(const torch::Tensor& t) {
  size_t next = 0;
  switch (t.scalar_type()) {
    case torch::kBool: return Nest(t.data_ptr<bool>(), t.sizes(), 0, next);
    case torch::kDouble: return Nest(t.data_ptr<double>(), t.sizes(), 0, next);
    case torch::kFloat:
    case torch::kHalf:
    case torch::kBFloat16: {
      torch::Tensor f = t.to(torch::kFloat).contiguous();
      const float* src = f.data_ptr<float>();
      std::vector<double> wide(src, src + f.numel());
      return Nest(wide.data(), t.sizes(), 0, next);
    }
    default: {
      torch::Tensor l = t.to(torch::kLong).contiguous();
      return Nest(l.data_ptr<int64_t>(), t.sizes(), 0, next);
    }
  }
}

// The shape implied by following first elements, then a check that every
// element agrees with it.
std::vector<int64_t> ShapeOf(const Json& v) {
  std::vector<int64_t> shape;
  const Json* cur = &v;
  while (cur->is_array()) {
    shape.push_back(static_cast<int64_t>(cur->size()));
    if (cur->empty()) break;
    cur = &(*cur)[0];
  }
  return shape;
}

Status CheckShape(const Json& v, const std::vector<int64_t>& shape, size_t depth) {
  if (depth == shape.size()) {
    if (v.is_number() || v.is_boolean()) return Status::Ok();
    if (v.is_array()) return InvalidArgument("ragged nested list: a list where a number was expected");
    return InvalidArgument("tensor data must be numbers or nested lists of numbers, found " +
                           std::string(v.type_name()));
  }
  if (!v.is_array()) {
    if (v.is_number() || v.is_boolean()) {
      return InvalidArgument("ragged nested list: a number where a list was expected at depth " +
                             std::to_string(depth));
    }
    return InvalidArgument("tensor data must be numbers or nested lists of numbers, found " +
                           std::string(v.type_name()));
  }
  if (static_cast<int64_t>(v.size()) != shape[depth]) {
    return InvalidArgument("ragged nested list: dimension " + std::to_string(depth) + " has lengths " +
                           std::to_string(shape[depth]) + " and " + std::to_string(v.size()));
  }
  for (const auto& item : v) RETURN_IF_ERROR(CheckShape(item, shape, depth + 1));
  return Status::Ok();
}

void Flatten(const Json& v, std::vector<double>& out) {
  if (v.is_array()) {
    for (const auto& item : v) Flatten(item, out);
  } else if (v.is_boolean()) {
    out.push_back(v.get<bool>() ? 1.0 : 0.0);
  } else {
    out.push_back(v.get<double>());
  }
}

// Writes the numbers of a shape-checked nested list as T, in row-major
// order. Integers convert exactly into integer types; other numbers as
// Tensor::to would (C++ conversion from double).
template <typename T>
void FlattenInto(const Json& v, T*& out) {
  if (v.is_array()) {
    for (const auto& item : v) FlattenInto(item, out);
  } else if (v.is_boolean()) {
    *out++ = static_cast<T>(v.get<bool>() ? 1 : 0);
  } else if constexpr (std::is_integral_v<T>) {
    *out++ = v.is_number_integer() ? static_cast<T>(v.get<int64_t>()) : static_cast<T>(v.get<double>());
  } else {
    *out++ = static_cast<T>(v.get<double>());
  }
}

template <typename T>
torch::Tensor FilledTensor(const Json& value, const std::vector<int64_t>& shape, torch::ScalarType dtype) {
  torch::Tensor t = torch::empty(shape, dtype);
  T* out = t.data_ptr<T>();
  FlattenInto(value, out);
  return t;
}
}  // namespace

Json TensorToJson(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().cpu().contiguous();
  if (t.is_quantized()) t = t.dequantize();
  return ToJsonValues(t);
}

StatusOr<torch::Tensor> JsonToTensor(const Json& value, torch::ScalarType dtype) {
  std::vector<int64_t> shape = ShapeOf(value);
  RETURN_IF_ERROR(CheckShape(value, shape, 0));
  // The common types are filled in place; the rest convert from double.
  switch (dtype) {
    case torch::kFloat: return FilledTensor<float>(value, shape, dtype);
    case torch::kDouble: return FilledTensor<double>(value, shape, dtype);
    case torch::kLong: return FilledTensor<int64_t>(value, shape, dtype);
    case torch::kInt: return FilledTensor<int32_t>(value, shape, dtype);
    default: break;
  }
  std::vector<double> flat;
  Flatten(value, flat);
  torch::Tensor t = torch::from_blob(flat.data(), {static_cast<int64_t>(flat.size())}, torch::kDouble).clone();
  return t.reshape(shape).to(dtype);
}

std::optional<torch::ScalarType> ParseDtype(const std::string& name) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"float32", torch::kFloat},  {"float", torch::kFloat},   {"fp32", torch::kFloat},
      {"float64", torch::kDouble}, {"double", torch::kDouble}, {"fp64", torch::kDouble},
      {"float16", torch::kHalf},   {"fp16", torch::kHalf},     {"bfloat16", torch::kBFloat16},
      {"int64", torch::kLong},     {"long", torch::kLong},     {"int32", torch::kInt},
      {"int", torch::kInt},        {"int16", torch::kShort},   {"int8", torch::kChar},
      {"uint8", torch::kByte},     {"bool", torch::kBool}};
  auto it = kTypes.find(ToLower(name));
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

std::string ShortTorchError(const std::exception& e) {
  std::string msg = e.what();
  // c10::Error messages end with a backtrace after "Exception raised from".
  size_t cut = msg.find("\nException raised from");
  if (cut != std::string::npos) msg = msg.substr(0, cut);
  size_t trace = msg.find("\nTraceback of TorchScript");
  if (trace != std::string::npos) {
    // Keep the last line: the actual error.
    size_t last = msg.find_last_of('\n', msg.size() - 2);
    std::string tail = last == std::string::npos ? msg : msg.substr(last + 1);
    msg = tail;
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

}  // namespace hearth::worker
