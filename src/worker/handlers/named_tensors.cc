#include "worker/handlers/named_tensors.h"

#include <chrono>
#include <cstring>
#include <limits>

#include "common/strings.h"
#include "ipc/tensor_codec.h"
#include "worker/handlers/handler_util.h"
#include "worker/optimize.h"

namespace hearth::worker {
namespace {

using ipc::WireTensor;

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

const std::vector<c10::Argument>& ForwardArguments(const HandlerContext& context) {
  return context.module->get_method("forward").function().getSchema().arguments();
}

// forward()'s arguments without `self`.
std::vector<const c10::Argument*> Parameters(const HandlerContext& context) {
  std::vector<const c10::Argument*> out;
  const auto& args = ForwardArguments(context);
  for (size_t i = 1; i < args.size(); ++i) out.push_back(&args[i]);
  return out;
}

// model-config.yaml metadata.<section>, or an empty list.
Json YamlMetadata(const HandlerContext& context, const char* section) {
  auto meta = context.yaml.find("metadata");
  if (meta == context.yaml.end() || !meta->is_object()) return Json::array();
  auto list = meta->find(section);
  if (list == meta->end() || !list->is_array()) return Json::array();
  return *list;
}

std::string YamlName(const Json& list, size_t k) {
  if (k < list.size() && list[k].is_object() && list[k].contains("name") && list[k]["name"].is_string()) {
    return list[k]["name"].get<std::string>();
  }
  return "";
}

std::vector<std::string> DefaultOutputNames(const HandlerContext& context) {
  const auto& returns = context.module->get_method("forward").function().getSchema().returns();
  if (returns.size() != 1) return {};
  const c10::TypePtr& type = returns[0].type();
  std::vector<std::string> names;
  if (auto tuple = type->cast<c10::TupleType>()) {
    for (size_t k = 0; k < tuple->elements().size(); ++k) names.push_back("OUTPUT__" + std::to_string(k));
  } else if (type->kind() == c10::TypeKind::TensorType) {
    names.push_back("OUTPUT__0");
  }
  return names;  // lists and dicts: names known only after a forward()
}

std::optional<size_t> InputIndexFromName(const std::string& name) {
  if (!StartsWith(name, "INPUT__")) return std::nullopt;
  auto k = ParseInt(name.substr(7));
  if (!k || *k < 0) return std::nullopt;
  return static_cast<size_t>(*k);
}

StatusOr<torch::Tensor> ToTorch(const WireTensor& t) {
  std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
  const int64_t n = ipc::ElementCount(t.shape);
  auto copy = [&](torch::ScalarType type) {
    return torch::from_blob(const_cast<char*>(t.data.data()), shape, type).clone();
  };
  auto widen = [&](auto tag, torch::ScalarType type) -> StatusOr<torch::Tensor> {
    using T = decltype(tag);
    torch::Tensor out = torch::empty(shape, type);
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
      if constexpr (sizeof(T) == 8) {
        if (v > static_cast<T>(std::numeric_limits<int64_t>::max())) {
          return InvalidArgument("input '" + t.name + "': UINT64 value " + std::to_string(v) +
                                 " does not fit libtorch's int64");
        }
      }
      if (type == torch::kInt) out.data_ptr<int32_t>()[i] = static_cast<int32_t>(v);
      else out.data_ptr<int64_t>()[i] = static_cast<int64_t>(v);
    }
    return out;
  };
  switch (t.datatype) {
    case ipc::DataType::kBool: return copy(torch::kBool);
    case ipc::DataType::kUint8: return copy(torch::kByte);
    case ipc::DataType::kInt8: return copy(torch::kChar);
    case ipc::DataType::kInt16: return copy(torch::kShort);
    case ipc::DataType::kInt32: return copy(torch::kInt);
    case ipc::DataType::kInt64: return copy(torch::kLong);
    case ipc::DataType::kFp16: return copy(torch::kHalf);
    case ipc::DataType::kBf16: return copy(torch::kBFloat16);
    case ipc::DataType::kFp32: return copy(torch::kFloat);
    case ipc::DataType::kFp64: return copy(torch::kDouble);
    // libtorch has no unsigned types wider than 8 bits: widen.
    case ipc::DataType::kUint16: return widen(uint16_t{}, torch::kInt);
    case ipc::DataType::kUint32: return widen(uint32_t{}, torch::kLong);
    case ipc::DataType::kUint64: return widen(uint64_t{}, torch::kLong);
    case ipc::DataType::kBytes: break;
  }
  return InvalidArgument("input '" + t.name +
                         "' is BYTES: the tensor handler feeds numeric tensors to forward(); serve string "
                         "inputs with a custom handler");
}

std::optional<ipc::DataType> KserveDatatype(torch::ScalarType type) {
  switch (type) {
    case torch::kBool: return ipc::DataType::kBool;
    case torch::kByte: return ipc::DataType::kUint8;
    case torch::kChar: return ipc::DataType::kInt8;
    case torch::kShort: return ipc::DataType::kInt16;
    case torch::kInt: return ipc::DataType::kInt32;
    case torch::kLong: return ipc::DataType::kInt64;
    case torch::kHalf: return ipc::DataType::kFp16;
    case torch::kBFloat16: return ipc::DataType::kBf16;
    case torch::kFloat: return ipc::DataType::kFp32;
    case torch::kDouble: return ipc::DataType::kFp64;
    default: return std::nullopt;
  }
}
// One request's forward() arguments, in position order.
struct MappedRequest {
  std::vector<torch::IValue> args;
  int64_t rows = -1;  // shared first dimension, or -1 when it cannot batch
  std::string key;    // requests with equal keys run together
};

StatusOr<MappedRequest> MapRequest(const HandlerContext& context, const ipc::Request& request) {
  const ipc::Input* input = nullptr;
  for (const auto& in : request.inputs()) {
    if (in.content_type() == ipc::kTensorsContentType) input = &in;
  }
  if (!input) return InvalidArgument("no tensors in the request");
  ASSIGN_OR_RETURN(std::vector<WireTensor> tensors, ipc::DecodeTensors(input->value()));
  const auto params = Parameters(context);
  const Json yaml_inputs = YamlMetadata(context, "inputs");
  std::vector<std::optional<torch::Tensor>> slots(params.size());
  for (const auto& t : tensors) {
    std::optional<size_t> pos;
    for (size_t k = 0; k < params.size() && !pos; ++k) {
      if (params[k]->name() == t.name || YamlName(yaml_inputs, k) == t.name) pos = k;
    }
    if (!pos) pos = InputIndexFromName(t.name);
    if (!pos && params.size() == 1 && tensors.size() == 1) pos = 0;
    if (!pos || *pos >= params.size()) {
      std::vector<std::string> known;
      for (size_t k = 0; k < params.size(); ++k) {
        std::string y = YamlName(yaml_inputs, k);
        known.push_back(y.empty() ? params[k]->name() : y);
      }
      return InvalidArgument("unknown input '" + t.name + "'; the model's inputs are " + Join(known, ", ") +
                             " (or INPUT__0.." + "INPUT__" + std::to_string(params.empty() ? 0 : params.size() - 1) +
                             ")");
    }
    if (slots[*pos]) return InvalidArgument("input '" + t.name + "' maps to an argument given twice");
    ASSIGN_OR_RETURN(slots[*pos], ToTorch(t));
  }
  MappedRequest mapped;
  for (size_t k = 0; k < params.size(); ++k) {
    if (slots[k]) {
      const torch::Tensor& t = *slots[k];
      if (t.dim() == 0) {
        mapped.rows = -2;
      } else if (mapped.rows == -1) {
        mapped.rows = t.size(0);
      } else if (mapped.rows != t.size(0)) {
        mapped.rows = -2;
      }
      mapped.key += c10::str(t.scalar_type(), t.sizes().slice(std::min<int64_t>(1, t.dim())), ";");
      mapped.args.emplace_back(t);
      continue;
    }
    if (params[k]->default_value()) {
      mapped.args.push_back(*params[k]->default_value());
      mapped.key += "default;";
      continue;
    }
    std::string y = YamlName(yaml_inputs, k);
    return InvalidArgument("missing input '" + (y.empty() ? params[k]->name() : y) + "' (argument " +
                           std::to_string(k) + " of forward())");
  }
  if (mapped.rows < 0) mapped.rows = -1;
  return mapped;
}

Status CollectOutputs(const torch::IValue& value, std::vector<std::pair<std::string, torch::Tensor>>& out) {
  auto tensor_at = [&](const torch::IValue& v, const std::string& name) -> Status {
    if (!v.isTensor()) {
      return InvalidArgument("output '" + name + "' is a " + v.tagKind() + ", not a tensor");
    }
    out.emplace_back(name, v.toTensor());
    return Status::Ok();
  };
  if (value.isTensor()) return tensor_at(value, "OUTPUT__0");
  if (value.isTuple() || value.isList()) {
    std::vector<torch::IValue> elements = value.isTuple() ? value.toTupleRef().elements().vec() : value.toListRef().vec();
    for (size_t k = 0; k < elements.size(); ++k) RETURN_IF_ERROR(tensor_at(elements[k], "OUTPUT__" + std::to_string(k)));
    return Status::Ok();
  }
  if (value.isGenericDict()) {
    for (const auto& kv : value.toGenericDict()) {
      std::string key = kv.key().isString() ? kv.key().toStringRef() : kv.key().tagKind();
      RETURN_IF_ERROR(tensor_at(kv.value(), key));
    }
    return Status::Ok();
  }
  return InvalidArgument(std::string("the model returned a ") + value.tagKind() +
                         "; v2 outputs must be a tensor, a tuple or list of tensors, or a dict of tensors");
}

StatusOr<WireTensor> ToWire(const std::string& name, torch::Tensor t, bool bf16_model) {
  if (t.is_quantized()) t = t.dequantize();
  if (bf16_model && t.scalar_type() == torch::kBFloat16) t = t.to(torch::kFloat);
  const std::optional<ipc::DataType> dt = KserveDatatype(t.scalar_type());
  if (!dt) return InvalidArgument("output '" + name + "' has dtype " + std::string(c10::toString(t.scalar_type())) +
                                  ", which KServe v2 cannot carry");
  t = t.contiguous();
  WireTensor w;
  w.name = name;
  w.datatype = *dt;
  w.shape.assign(t.sizes().begin(), t.sizes().end());
  w.data.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return w;
}

}  // namespace

Json NamedTensorSignature(const HandlerContext& context) {
  Json sig;
  sig["protocol"] = "tensors";
  const Json yaml_inputs = YamlMetadata(context, "inputs");
  const Json yaml_outputs = YamlMetadata(context, "outputs");
  auto entry = [](const Json& yaml_list, size_t k, const std::string& fallback_name) {
    Json e;
    const Json* y = k < yaml_list.size() && yaml_list[k].is_object() ? &yaml_list[k] : nullptr;
    e["name"] = y && y->contains("name") ? (*y)["name"] : Json(fallback_name);
    e["datatype"] = y && y->contains("datatype") ? (*y)["datatype"] : Json("FP32");
    e["shape"] = y && y->contains("shape") ? (*y)["shape"] : Json::array({-1});
    return e;
  };
  Json inputs = Json::array();
  const auto params = Parameters(context);
  for (size_t k = 0; k < params.size(); ++k) inputs.push_back(entry(yaml_inputs, k, params[k]->name()));
  Json outputs = Json::array();
  std::vector<std::string> names = DefaultOutputNames(context);
  const size_t count = std::max(names.size(), yaml_outputs.size());
  for (size_t k = 0; k < count; ++k) outputs.push_back(entry(yaml_outputs, k, k < names.size() ? names[k] : ""));
  sig["inputs"] = std::move(inputs);
  sig["outputs"] = std::move(outputs);
  return sig;
}

void HandleNamedTensorRequests(const HandlerContext& context, const std::vector<const ipc::Request*>& requests,
                               const std::vector<size_t>& indices, std::vector<ipc::Response>& responses,
                               HandlerTimings& timings) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<MappedRequest> mapped(requests.size());
  std::vector<std::vector<size_t>> groups;
  std::vector<std::string> group_keys;
  for (size_t i : indices) {
    auto m = MapRequest(context, *requests[i]);
    if (!m.ok()) {
      SetError(responses[i], m.status());
      continue;
    }
    mapped[i] = std::move(*m);
    const bool batchable = mapped[i].rows >= 0 && context.batch_size > 1;
    auto g = std::find(group_keys.begin(), group_keys.end(), mapped[i].key);
    if (batchable && g != group_keys.end()) {
      groups[g - group_keys.begin()].push_back(i);
    } else {
      group_keys.push_back(batchable ? mapped[i].key : "\x01" + std::to_string(i));
      groups.push_back({i});
    }
  }
  timings.preprocess_us += MicrosSince(t0);
  const Json yaml_outputs = YamlMetadata(context, "outputs");
  for (const auto& members : groups) {
    auto fail_all = [&](const Status& st) {
      for (size_t i : members) SetError(responses[i], st);
    };
    std::vector<torch::IValue> args;
    if (members.size() == 1) {
      args = mapped[members[0]].args;
    } else {
      for (size_t a = 0; a < mapped[members[0]].args.size(); ++a) {
        if (!mapped[members[0]].args[a].isTensor()) {
          args.push_back(mapped[members[0]].args[a]);
          continue;
        }
        std::vector<torch::Tensor> column;
        for (size_t i : members) column.push_back(mapped[i].args[a].toTensor());
        args.emplace_back(torch::cat(column, 0));
      }
    }
    if (context.bf16) CastInputsToBf16(args);
    auto t1 = std::chrono::steady_clock::now();
    torch::IValue out;
    try {
      torch::InferenceMode guard;
      out = context.module->forward(args);
    } catch (const std::exception& e) {
      fail_all(InvalidArgument("model rejected the input: " + ShortTorchError(e)));
      continue;
    }
    timings.inference_us += MicrosSince(t1);
    auto t2 = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, torch::Tensor>> outputs;
    if (Status st = CollectOutputs(out, outputs); !st.ok()) {
      fail_all(st);
      continue;
    }
    if (yaml_outputs.size() == outputs.size()) {
      for (size_t k = 0; k < outputs.size(); ++k) {
        std::string y = YamlName(yaml_outputs, k);
        if (!y.empty()) outputs[k].first = y;
      }
    }
    int64_t total = 0;
    for (size_t i : members) total += mapped[i].rows;
    int64_t offset = 0;
    for (size_t i : members) {
      std::vector<WireTensor> wire;
      Status st = Status::Ok();
      for (const auto& [name, tensor] : outputs) {
        torch::Tensor part = tensor;
        if (members.size() > 1) {
          if (tensor.dim() == 0 || tensor.size(0) != total) {
            st = InvalidArgument("output '" + name + "' has no batch dimension (first dimension " +
                                 (tensor.dim() ? std::to_string(tensor.size(0)) : std::string("none")) + ", batch " +
                                 std::to_string(total) + "); serve this model with batch_size 1");
            break;
          }
          part = tensor.narrow(0, offset, mapped[i].rows);
        }
        auto w = ToWire(name, part, context.bf16);
        if (!w.ok()) {
          st = w.status();
          break;
        }
        wire.push_back(std::move(*w));
      }
      offset += mapped[i].rows;
      if (!st.ok()) {
        SetError(responses[i], st);
        continue;
      }
      ipc::Response& r = responses[i];
      r.set_status_code(0);
      r.set_body(ipc::EncodeTensors(wire));
      r.set_content_type(ipc::kTensorsContentType);
    }
    timings.postprocess_us += MicrosSince(t2);
  }
}

}  // namespace hearth::worker
