#include "ipc/model_signature.h"

#include "common/json.h"

namespace hearth::ipc {
namespace {

StatusOr<std::vector<TensorSpec>> ParseSpecs(const Json& list, const std::string& field) {
  std::vector<TensorSpec> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return InvalidArgument("signature: \"" + field + "\" must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    const std::string where = "signature: " + field + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
      return InvalidArgument(where + " needs a \"name\"");
    }
    TensorSpec t;
    t.name = e["name"].get<std::string>();
    const std::string type = e.value("datatype", "FP32");
    auto parsed = ParseDataType(type);
    if (!parsed) return InvalidArgument(where + ": unknown datatype \"" + type + "\"");
    t.datatype = *parsed;
    if (auto shape = e.find("shape"); shape != e.end()) {
      if (!shape->is_array()) return InvalidArgument(where + ": \"shape\" must be a list of integers");
      for (const Json& d : *shape) {
        if (!d.is_number_integer()) return InvalidArgument(where + ": \"shape\" must be a list of integers");
        t.shape.push_back(d.get<int64_t>());
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

StatusOr<ModelSignature> ParseModelSignature(const std::string& json) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("signature: not a JSON object");
  ModelSignature s;
  const std::string protocol = j.value("protocol", "envelope");
  if (protocol == "tensors") {
    s.protocol = ModelSignature::Protocol::kTensors;
  } else if (protocol != "envelope") {
    return InvalidArgument("signature: unknown protocol \"" + protocol + "\"");
  }
  ASSIGN_OR_RETURN(s.inputs, ParseSpecs(j.value("inputs", Json()), "inputs"));
  ASSIGN_OR_RETURN(s.outputs, ParseSpecs(j.value("outputs", Json()), "outputs"));
  return s;
}

}  // namespace hearth::ipc
