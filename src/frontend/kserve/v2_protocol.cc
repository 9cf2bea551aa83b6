#include "frontend/kserve/v2_protocol.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace hearth::kserve {
namespace {

template <typename T>
void Append(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string Quote(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Flattens nested arrays (row-major) into `out`; scalars are one element.
void Flatten(const Json& j, std::vector<const Json*>& out) {
  if (j.is_array()) {
    for (const auto& e : j) Flatten(e, out);
  } else {
    out.push_back(&j);
  }
}

std::string ElementError(const std::string& input, size_t index, const Json& value, ipc::DataType datatype) {
  std::string shown = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return "input '" + input + "': element " + std::to_string(index) + " (" + shown + ") is not a valid " +
         ipc::DataTypeName(datatype);
}

template <typename T>
bool IntegerFromJson(const Json& v, T& out) {
  if (v.is_boolean()) {
    out = v.get<bool>() ? 1 : 0;
    return true;
  }
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
      out = static_cast<T>(u);
      return true;
    }
    auto s = v.get<int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (s < 0 || static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    } else {
      if (s < std::numeric_limits<T>::min() || s > std::numeric_limits<T>::max()) return false;
    }
    out = static_cast<T>(s);
    return true;
  }
  if (v.is_number_float()) {  // 3.0 is accepted as 3; 3.5 is not an integer
    double d = v.get<double>();
    if (std::floor(d) != d || d < static_cast<double>(std::numeric_limits<T>::lowest()) ||
        d > static_cast<double>(std::numeric_limits<T>::max())) {
      return false;
    }
    out = static_cast<T>(d);
    return true;
  }
  return false;
}

bool FloatFromJson(const Json& v, double& out) {
  if (v.is_number()) {
    out = v.get<double>();
    return true;
  }
  if (v.is_string()) {  // non-finite values have no JSON number form
    const auto& s = v.get_ref<const std::string&>();
    if (s == "nan" || s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
    else if (s == "inf" || s == "Infinity") out = std::numeric_limits<double>::infinity();
    else if (s == "-inf" || s == "-Infinity") out = -std::numeric_limits<double>::infinity();
    else return false;
    return true;
  }
  return false;
}

template <typename T>
Status AppendIntegers(const std::vector<const Json*>& values, const std::string& input, ipc::DataType dt,
                      std::string& out) {
  out.reserve(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T v{};
    if (!IntegerFromJson(*values[i], v)) return InvalidArgument(ElementError(input, i, *values[i], dt));
    Append<T>(out, v);
  }
  return Status::Ok();
}

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"nan\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"inf\"" : "\"-inf\"";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
}

void AppendNumber(std::string& out, float v) {
  if (std::isnan(v) || std::isinf(v)) {
    AppendNumber(out, static_cast<double>(v));
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest form that round-trips the float
  out.append(buf, r.ptr);
}

template <typename T>
void AppendIntText(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// Appends `n` elements of T read from `p` with `write` (one type switch per tensor).
template <typename T, typename Write>
void AppendElements(std::string& out, const char* p, size_t n, Write write) {
  for (size_t i = 0; i < n; ++i, p += sizeof(T)) {
    if (i) out += ',';
    write(out, Load<T>(p));
  }
}

// The elements of a tensor as JSON text (a flat array), without a DOM.
std::string DataText(const WireTensor& t) {
  using ipc::DataType;
  std::string out = "[";
  const char* p = t.data.data();
  const int size = ipc::DataTypeSize(t.datatype);
  const size_t n = size > 0 ? t.data.size() / static_cast<size_t>(size) : 0;
  auto integer = [](std::string& o, auto v) { AppendIntText(o, v); };
  auto number = [](std::string& o, auto v) { AppendNumber(o, v); };  // float: shortest float form
  switch (t.datatype) {
    case DataType::kBytes: {
      auto elems = SplitBytesElements(t.data);
      for (size_t i = 0; i < elems.size(); ++i) {
        if (i) out += ',';
        out += Quote(elems[i]);
      }
      break;
    }
    case DataType::kBool:
      AppendElements<uint8_t>(out, p, n, [](std::string& o, uint8_t v) { o += v ? "true" : "false"; });
      break;
    case DataType::kUint8: AppendElements<uint8_t>(out, p, n, integer); break;
    case DataType::kInt8: AppendElements<int8_t>(out, p, n, integer); break;
    case DataType::kUint16: AppendElements<uint16_t>(out, p, n, integer); break;
    case DataType::kInt16: AppendElements<int16_t>(out, p, n, integer); break;
    case DataType::kUint32: AppendElements<uint32_t>(out, p, n, integer); break;
    case DataType::kInt32: AppendElements<int32_t>(out, p, n, integer); break;
    case DataType::kUint64: AppendElements<uint64_t>(out, p, n, integer); break;
    case DataType::kInt64: AppendElements<int64_t>(out, p, n, integer); break;
    case DataType::kFp16:
      AppendElements<uint16_t>(out, p, n, [](std::string& o, uint16_t v) { AppendNumber(o, HalfToFloat(v)); });
      break;
    case DataType::kBf16:
      AppendElements<uint16_t>(out, p, n, [](std::string& o, uint16_t v) { AppendNumber(o, Bf16ToFloat(v)); });
      break;
    case DataType::kFp32: AppendElements<float>(out, p, n, number); break;
    case DataType::kFp64: AppendElements<double>(out, p, n, number); break;
  }
  out += ']';
  return out;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ',';
    AppendIntText(out, shape[i]);
  }
  return out + "]";
}

StatusOr<std::vector<int64_t>> ParseShape(const Json& spec, const std::string& name) {
  auto it = spec.find("shape");
  if (it == spec.end() || !it->is_array()) return InvalidArgument("input '" + name + "': \"shape\" must be a list");
  std::vector<int64_t> shape;
  for (const auto& d : *it) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return InvalidArgument("input '" + name + "': shape " + it->dump() + " must hold non-negative integers");
    }
    shape.push_back(d.get<int64_t>());
  }
  return shape;
}

bool IsNumberTree(const Json& j, bool& all_integers) {
  if (j.is_array()) {
    for (const auto& e : j) {
      if (!IsNumberTree(e, all_integers)) return false;
    }
    return true;
  }
  if (j.is_number_float()) all_integers = false;
  return j.is_number() || j.is_boolean();
}

// Whether every array at the same depth has the same length (numpy makes an
// N-d array only then).
bool IsRectangular(const Json& j) {
  if (!j.is_array() || j.empty()) return true;
  const bool nested = j.front().is_array();
  const size_t len = nested ? j.front().size() : 0;
  for (const auto& e : j) {
    if (e.is_array() != nested) return false;
    if (nested && (e.size() != len || !IsRectangular(e))) return false;
  }
  return true;
}

Json Reshape(const Json& flat, const std::vector<int64_t>& shape, size_t dim, size_t& pos) {
  if (dim == shape.size()) return flat[pos++];
  Json arr = Json::array();
  for (int64_t i = 0; i < shape[dim]; ++i) arr.push_back(Reshape(flat, shape, dim + 1, pos));
  return arr;
}

}  // namespace

uint16_t FloatToHalf(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504: inf
  if (abs < 0x38800000u) {  // subnormal half (or zero)
    float a;
    std::memcpy(&a, &abs, 4);
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
  }
  uint32_t mant = abs & 0x7fffffu;
  uint32_t exp = (abs >> 23) - 112;
  uint32_t half = (exp << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<uint16_t>(sign | half);
}

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = (bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  float out;
  if (exp == 0) {
    out = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -out : out;
  }
  uint32_t f = exp == 31 ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  std::memcpy(&out, &f, 4);
  return out;
}

uint16_t FloatToBf16(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  if ((f & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((f >> 16) | 0x40u);  // quiet NaN
  f += 0x7fffu + ((f >> 16) & 1u);
  return static_cast<uint16_t>(f >> 16);
}

float Bf16ToFloat(uint16_t bits) {
  uint32_t f = static_cast<uint32_t>(bits) << 16;
  float out;
  std::memcpy(&out, &f, 4);
  return out;
}

std::vector<std::string> SplitBytesElements(std::string_view data) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (data.size() - pos >= 4) {
    uint32_t n = Load<uint32_t>(data.data() + pos);
    pos += 4;
    if (data.size() - pos < n) break;
    out.emplace_back(data.substr(pos, n));
    pos += n;
  }
  return out;
}

std::string JoinBytesElements(const std::vector<std::string>& elements) {
  std::string out;
  for (const auto& e : elements) {
    Append<uint32_t>(out, static_cast<uint32_t>(e.size()));
    out += e;
  }
  return out;
}

Status ValidateTensor(const WireTensor& t) {
  const int size = ipc::DataTypeSize(t.datatype);
  for (int64_t d : t.shape) {
    if (d < 0) return InvalidArgument("input '" + t.name + "': shape " + ShapeText(t.shape) + " has a negative dimension");
  }
  const int64_t elements = ipc::ElementCount(t.shape);
  if (size == 0) {
    size_t pos = 0;
    int64_t count = 0;
    while (pos < t.data.size()) {
      if (t.data.size() - pos < 4) break;
      uint32_t n = Load<uint32_t>(t.data.data() + pos);
      if (t.data.size() - pos - 4 < n) break;
      pos += 4 + n;
      ++count;
    }
    if (pos != t.data.size()) {
      return InvalidArgument("input '" + t.name + "': BYTES data is not a sequence of 4-byte lengths and elements");
    }
    if (count != elements) {
      return InvalidArgument("input '" + t.name + "': shape " + ShapeText(t.shape) + " needs " +
                             std::to_string(elements) + " elements, got " + std::to_string(count));
    }
    return Status::Ok();
  }
  if (static_cast<int64_t>(t.data.size()) != elements * size) {
    return InvalidArgument("input '" + t.name + "': shape " + ShapeText(t.shape) + " of " +
                           ipc::DataTypeName(t.datatype) + " needs " +
                           std::to_string(elements * size) + " bytes, got " + std::to_string(t.data.size()));
  }
  return Status::Ok();
}

StatusOr<std::string> JsonToTensorBytes(const Json& data, ipc::DataType dt, int64_t elements,
                                        const std::string& input) {
  using ipc::DataType;
  std::vector<const Json*> values;
  values.reserve(static_cast<size_t>(std::max<int64_t>(elements, 0)));
  Flatten(data, values);
  if (static_cast<int64_t>(values.size()) != elements) {
    return InvalidArgument("input '" + input + "': the shape needs " + std::to_string(elements) +
                           " elements, \"data\" has " + std::to_string(values.size()));
  }
  std::string out;
  // Floating types: each value through a double.
  auto floats = [&](auto store) -> Status {
    out.reserve(values.size() * static_cast<size_t>(ipc::DataTypeSize(dt)));
    for (size_t i = 0; i < values.size(); ++i) {
      double d = 0;
      if (!FloatFromJson(*values[i], d)) return InvalidArgument(ElementError(input, i, *values[i], dt));
      store(d);
    }
    return Status::Ok();
  };
  Status st = Status::Ok();
  switch (dt) {
    case DataType::kBool:
      for (size_t i = 0; i < values.size(); ++i) {
        const Json& v = *values[i];
        if (v.is_boolean()) out += static_cast<char>(v.get<bool>());
        else if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) out += static_cast<char>(v.get<int64_t>());
        else return InvalidArgument(ElementError(input, i, v, dt));
      }
      break;
    case DataType::kUint8: st = AppendIntegers<uint8_t>(values, input, dt, out); break;
    case DataType::kInt8: st = AppendIntegers<int8_t>(values, input, dt, out); break;
    case DataType::kUint16: st = AppendIntegers<uint16_t>(values, input, dt, out); break;
    case DataType::kInt16: st = AppendIntegers<int16_t>(values, input, dt, out); break;
    case DataType::kUint32: st = AppendIntegers<uint32_t>(values, input, dt, out); break;
    case DataType::kInt32: st = AppendIntegers<int32_t>(values, input, dt, out); break;
    case DataType::kUint64: st = AppendIntegers<uint64_t>(values, input, dt, out); break;
    case DataType::kInt64: st = AppendIntegers<int64_t>(values, input, dt, out); break;
    case DataType::kFp64: st = floats([&](double d) { Append<double>(out, d); }); break;
    case DataType::kFp32: st = floats([&](double d) { Append<float>(out, static_cast<float>(d)); }); break;
    case DataType::kFp16: st = floats([&](double d) { Append<uint16_t>(out, FloatToHalf(static_cast<float>(d))); }); break;
    case DataType::kBf16: st = floats([&](double d) { Append<uint16_t>(out, FloatToBf16(static_cast<float>(d))); }); break;
    case DataType::kBytes:
      for (size_t i = 0; i < values.size(); ++i) {
        if (!values[i]->is_string()) return InvalidArgument(ElementError(input, i, *values[i], dt));
        const auto& s = values[i]->get_ref<const std::string&>();
        Append<uint32_t>(out, static_cast<uint32_t>(s.size()));
        out += s;
      }
      break;
  }
  if (!st.ok()) return st;
  return out;
}

Json TensorToJson(const WireTensor& tensor) { return Json::parse(DataText(tensor)); }

StatusOr<InferRequest> ParseHttpInferRequest(std::string_view body, std::optional<size_t> header_length) {
  if (header_length && *header_length > body.size()) {
    return InvalidArgument("Inference-Header-Content-Length " + std::to_string(*header_length) +
                           " is larger than the body (" + std::to_string(body.size()) + " bytes)");
  }
  std::string_view header = header_length ? body.substr(0, *header_length) : body;
  std::string_view binary = header_length ? body.substr(*header_length) : std::string_view();
  Json j;
  try {
    j = Json::parse(header);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("the infer request is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return InvalidArgument("the infer request must be a JSON object with \"inputs\"");
  InferRequest req;
  if (auto id = j.find("id"); id != j.end()) {
    if (!id->is_string()) return InvalidArgument("\"id\" must be a string");
    req.id = id->get<std::string>();
  }
  if (auto params = j.find("parameters"); params != j.end() && params->is_object()) {
    if (auto b = params->find("binary_data_output"); b != params->end() && b->is_boolean()) {
      req.binary_outputs = b->get<bool>();
    }
  }
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->empty()) {
    return InvalidArgument("the infer request needs a non-empty \"inputs\" list");
  }
  size_t binary_pos = 0;
  for (const auto& spec : *inputs) {
    if (!spec.is_object()) return InvalidArgument("every entry of \"inputs\" must be an object");
    auto name = spec.find("name");
    if (name == spec.end() || !name->is_string() || name->get<std::string>().empty()) {
      return InvalidArgument("every input needs a \"name\"");
    }
    WireTensor t;
    t.name = name->get<std::string>();
    for (const auto& other : req.inputs) {
      if (other.name == t.name) return InvalidArgument("input '" + t.name + "' is given twice");
    }
    auto dt = spec.find("datatype");
    if (dt == spec.end() || !dt->is_string()) return InvalidArgument("input '" + t.name + "' needs a \"datatype\"");
    ASSIGN_OR_RETURN(t.datatype, ipc::ParseInputDataType(dt->get<std::string>(), t.name));
    ASSIGN_OR_RETURN(t.shape, ParseShape(spec, t.name));
    std::optional<size_t> binary_size;
    if (auto params = spec.find("parameters"); params != spec.end() && params->is_object()) {
      if (auto b = params->find("binary_data_size"); b != params->end()) {
        if (!b->is_number_unsigned()) {
          return InvalidArgument("input '" + t.name + "': binary_data_size must be a non-negative integer");
        }
        binary_size = b->get<size_t>();
      }
    }
    auto data = spec.find("data");
    if (binary_size) {
      if (data != spec.end()) return InvalidArgument("input '" + t.name + "' has both \"data\" and binary_data_size");
      if (!header_length) {
        return InvalidArgument("input '" + t.name +
                               "' has binary_data_size but the request has no Inference-Header-Content-Length");
      }
      if (binary.size() - binary_pos < *binary_size) {
        return InvalidArgument("input '" + t.name + "': binary_data_size " + std::to_string(*binary_size) +
                               " runs past the end of the body");
      }
      t.data.assign(binary.substr(binary_pos, *binary_size));
      binary_pos += *binary_size;
    } else {
      if (data == spec.end()) return InvalidArgument("input '" + t.name + "' has no \"data\"");
      ASSIGN_OR_RETURN(t.data, JsonToTensorBytes(*data, t.datatype, ipc::ElementCount(t.shape), t.name));
    }
    RETURN_IF_ERROR(ValidateTensor(t));
    req.inputs.push_back(std::move(t));
  }
  if (binary_pos != binary.size()) {
    return InvalidArgument(std::to_string(binary.size() - binary_pos) +
                           " bytes of binary data after the header are not claimed by any input's binary_data_size");
  }
  if (auto outputs = j.find("outputs"); outputs != j.end()) {
    if (!outputs->is_array()) return InvalidArgument("\"outputs\" must be a list");
    for (const auto& o : *outputs) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        return InvalidArgument("every requested output needs a \"name\"");
      }
      RequestedOutput r;
      r.name = o["name"].get<std::string>();
      r.binary = req.binary_outputs;
      if (auto params = o.find("parameters"); params != o.end() && params->is_object()) {
        if (auto b = params->find("binary_data"); b != params->end() && b->is_boolean()) r.binary = b->get<bool>();
        if (params->contains("classification")) {
          return InvalidArgument("output '" + r.name + "': the classification extension is not supported");
        }
      }
      req.outputs.push_back(std::move(r));
    }
  }
  return req;
}

StatusOr<std::vector<WireTensor>> SelectOutputs(const InferRequest& request, std::vector<WireTensor> outputs) {
  if (request.outputs.empty()) return outputs;
  std::vector<WireTensor> chosen;
  for (const auto& r : request.outputs) {
    auto it = std::find_if(outputs.begin(), outputs.end(), [&](const WireTensor& o) { return o.name == r.name; });
    if (it == outputs.end()) {
      std::string known;
      for (size_t i = 0; i < outputs.size(); ++i) known += (i ? ", " : "") + outputs[i].name;
      return InvalidArgument("unknown output '" + r.name + "'; the model's outputs are " + known);
    }
    chosen.push_back(*it);
  }
  return chosen;
}

StatusOr<HttpInferResponse> WriteHttpInferResponse(const std::string& model_name, const std::string& model_version,
                                                   const InferRequest& request, std::vector<WireTensor> outputs) {
  ASSIGN_OR_RETURN(std::vector<WireTensor> selected, SelectOutputs(request, std::move(outputs)));
  std::vector<std::pair<WireTensor*, bool>> chosen;  // output, binary
  for (size_t i = 0; i < selected.size(); ++i) {
    chosen.push_back({&selected[i], request.outputs.empty() ? request.binary_outputs : request.outputs[i].binary});
  }
  std::string json = "{\"model_name\":" + Quote(model_name) + ",\"model_version\":" + Quote(model_version);
  if (request.id) json += ",\"id\":" + Quote(*request.id);
  json += ",\"outputs\":[";
  std::string binary;
  bool any_binary = false;
  for (size_t i = 0; i < chosen.size(); ++i) {
    const WireTensor& o = *chosen[i].first;
    if (i) json += ',';
    json += "{\"name\":" + Quote(o.name) + ",\"datatype\":" + Quote(ipc::DataTypeName(o.datatype)) + ",\"shape\":" + ShapeText(o.shape);
    if (chosen[i].second) {
      any_binary = true;
      json += ",\"parameters\":{\"binary_data_size\":" + std::to_string(o.data.size()) + "}}";
      binary += o.data;
    } else {
      json += ",\"data\":" + DataText(o) + "}";
    }
  }
  json += "]}";
  HttpInferResponse r;
  if (any_binary) {
    r.header_length = json.size();
    r.body = std::move(json) + binary;
    r.content_type = "application/octet-stream";
  } else {
    r.body = std::move(json);
    r.content_type = "application/json";
  }
  return r;
}

std::string ErrorBody(const std::string& message) { return "{\"error\":" + Quote(message) + "}"; }

Json EnvelopeInputJson(const WireTensor& input) {
  Json flat = TensorToJson(input);
  if (input.datatype == ipc::DataType::kBytes && flat.size() == 1) return flat[0];
  if (input.shape.empty()) return flat.empty() ? Json() : flat[0];
  size_t pos = 0;
  return Reshape(flat, input.shape, 0, pos);
}

Json EnvelopeOutputJson(const std::string& name, const Json& answer) {
  Json out;
  out["name"] = name;
  bool all_integers = true;
  if (answer.is_array() && IsRectangular(answer) && IsNumberTree(answer, all_integers)) {
    std::vector<const Json*> values;
    Flatten(answer, values);
    Json data = Json::array();
    for (const Json* v : values) data.push_back(*v);
    out["shape"] = Json::array({static_cast<int64_t>(data.size())});
    out["datatype"] = all_integers ? "INT64" : "FP64";
    out["data"] = std::move(data);
    return out;
  }
  if (answer.is_array()) {
    out["shape"] = Json::array({static_cast<int64_t>(answer.size())});
    out["datatype"] = "BYTES";
    out["data"] = answer;
    return out;
  }
  out["shape"] = Json::array({1});
  out["datatype"] = answer.is_number() ? (answer.is_number_float() ? "FP64" : "INT64") : "BYTES";
  out["data"] = Json::array({answer});
  return out;
}

}  // namespace hearth::kserve
