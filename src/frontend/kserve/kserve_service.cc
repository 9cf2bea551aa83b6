#include "frontend/kserve/kserve_service.h"

#include <mutex>

#include "common/strings.h"

namespace hearth::kserve {
namespace {

bool UsesTensors(const core::ModelInfo& info) {
  if (info.signature) return info.signature->protocol == ipc::ModelSignature::Protocol::kTensors;
  return info.handler == "tensor" || info.handler == "base_handler";
}

Json SpecsJson(const std::vector<ipc::TensorSpec>& specs) {
  Json list = Json::array();
  for (const auto& t : specs) {
    Json e;
    e["name"] = t.name;
    e["datatype"] = ipc::DataTypeName(t.datatype);
    e["shape"] = t.shape;
    list.push_back(std::move(e));
  }
  return list;
}

bool IsUtf8(std::string_view s) {
  try {
    (void)Json(std::string(s)).dump();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// A handler's answer as JSON: parsed when it is JSON, else a string.
Json AnswerJson(const core::InferenceResponse& r) {
  if (r.content_type == "application/json" || StartsWith(r.content_type, "application/json")) {
    try {
      return Json::parse(r.body);
    } catch (const std::exception&) {
    }
  }
  if (IsUtf8(r.body)) return r.body;
  return Base64Encode(r.body);
}

core::InferenceRequest HandlerRequest(const std::string& request_id, std::string_view name, std::string content_type,
                                      std::string value, const core::Headers& headers, bool explain) {
  core::InferenceRequest ir;
  ir.request_id = request_id;
  ir.inputs.push_back({std::string(name), std::move(content_type), std::move(value)});
  ir.headers = headers;
  ir.headers.emplace_back("explain", explain ? "True" : "False");
  return ir;
}

}  // namespace

std::vector<WireTensor> EnvelopeOutputsAsTensors(const Json& outputs) {
  std::vector<WireTensor> out;
  for (const auto& o : outputs) {
    WireTensor t;
    t.name = o.value("name", "");
    t.datatype = ipc::ParseDataType(o.value("datatype", "BYTES")).value_or(ipc::DataType::kBytes);
    t.shape = o.value("shape", std::vector<int64_t>{});
    const Json& data = o["data"];
    if (t.datatype == ipc::DataType::kBytes) {
      std::vector<std::string> elements;
      for (const auto& e : data) elements.push_back(e.is_string() ? e.get<std::string>() : e.dump());
      t.data = JoinBytesElements(elements);
    } else {
      auto bytes = JsonToTensorBytes(data, t.datatype, static_cast<int64_t>(data.size()), t.name);
      t.data = bytes.ok() ? *bytes : std::string();
    }
    out.push_back(std::move(t));
  }
  return out;
}

Json ServerMetadata() {
  Json j;
  j["name"] = "hearth";
  j["version"] = HEARTH_VERSION;
  j["extensions"] = Json::array({"binary_tensor_data"});
  return j;
}

Json ModelMetadata(const core::ModelInfo& info) {
  Json j;
  j["name"] = info.name;
  j["versions"] = info.versions;
  j["platform"] = kPlatform;
  // Before any worker has loaded, nothing is known of them.
  j["inputs"] = info.signature ? SpecsJson(info.signature->inputs) : Json::array();
  j["outputs"] = info.signature ? SpecsJson(info.signature->outputs) : Json::array();
  return j;
}

KserveService::KserveService(core::ModelManager& models, core::RequestPolicy& policy)
    : models_(models), policy_(policy) {}

void KserveService::Submit(const std::string& model, const std::string& version, core::InferenceRequest request,
                           core::ResponseCallback done) {
  models_.Predict(model, version, std::move(request), [this, model, version, done](core::InferenceResponse r) {
    policy_.RecordAnswer(model, version, r);
    done(std::move(r));
  });
}

void KserveService::SubmitAll(const std::string& model, const std::string& version,
                              std::vector<core::InferenceRequest> requests,
                              std::function<void(StatusOr<std::vector<core::InferenceResponse>>)> done) {
  struct Gather {
    std::mutex mu;
    std::vector<core::InferenceResponse> answers;
    size_t remaining;
    std::function<void(StatusOr<std::vector<core::InferenceResponse>>)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->answers.resize(requests.size());
  gather->remaining = requests.size();
  gather->done = std::move(done);
  for (size_t i = 0; i < requests.size(); ++i) {
    Submit(model, version, std::move(requests[i]), [gather, i](core::InferenceResponse r) {
      bool last = false;
      {
        std::lock_guard lock(gather->mu);
        gather->answers[i] = std::move(r);
        last = --gather->remaining == 0;
      }
      if (!last) return;
      for (auto& a : gather->answers) {
        if (!a.status.ok()) {
          gather->done(a.status);
          return;
        }
      }
      gather->done(std::move(gather->answers));
    });
  }
}

void KserveService::Infer(const std::string& model, const std::string& version, InferRequest request,
                          const std::string& request_id, core::Headers headers, bool explain, InferCallback done) {
  auto info = models_.Info(model, version);
  if (!info.ok()) {
    done(info.status());
    return;
  }
  if (Status admitted = policy_.Admit(model, version); !admitted.ok()) {
    done(admitted);
    return;
  }
  auto result = std::make_shared<InferResult>();
  result->model_name = info->name;
  result->model_version = info->version;
  if (UsesTensors(*info)) {
    if (explain) {
      done(Status(StatusCode::kUnimplemented,
                  "model " + model + " (handler " + info->handler + ") cannot explain its predictions"));
      return;
    }
    for (const auto& t : request.inputs) {
      if (t.datatype == ipc::DataType::kBytes) {
        done(InvalidArgument("input '" + t.name + "' is BYTES: handler " + info->handler +
                             " feeds numeric tensors to forward(); serve string inputs with a custom handler"));
        return;
      }
    }
    core::InferenceRequest ir = HandlerRequest(request_id, "body", ipc::kTensorsContentType,
                                               ipc::EncodeTensors(request.inputs), headers, false);
    Submit(model, version, std::move(ir), [result, done](core::InferenceResponse r) {
      if (!r.status.ok()) {
        done(r.status);
        return;
      }
      if (r.content_type != ipc::kTensorsContentType) {
        done(Internal("the handler answered " + r.content_type + " to a tensor request"));
        return;
      }
      auto tensors = ipc::DecodeTensors(r.body);
      if (!tensors.ok()) {
        done(tensors.status().WithPrefix("the worker's answer"));
        return;
      }
      result->tensors = std::move(*tensors);
      done(std::move(*result));
    });
    return;
  }
  // Envelope: one handler request per input.
  std::vector<core::InferenceRequest> jobs;
  std::vector<std::string> names;
  for (auto& t : request.inputs) {
    names.push_back(t.name);
    if (t.datatype == ipc::DataType::kBytes && ipc::ElementCount(t.shape) == 1) {
      // One element (a text, a base64 image, or an image's raw bytes): the
      // handler gets it as TorchServe's envelope passes a string, text, or
      // as a file's bytes when it is not text.
      auto elements = SplitBytesElements(t.data);
      std::string element = elements.empty() ? std::string() : std::move(elements[0]);
      std::string type = IsUtf8(element) ? "text/plain" : "application/octet-stream";
      jobs.push_back(HandlerRequest(request_id, "data", std::move(type), std::move(element), headers, explain));
      continue;
    }
    jobs.push_back(HandlerRequest(request_id, "data", "application/json", EnvelopeInputJson(t).dump(), headers,
                                  explain));
  }
  SubmitAll(model, version, std::move(jobs),
            [result, names, done](StatusOr<std::vector<core::InferenceResponse>> answers) {
              if (!answers.ok()) {
                done(answers.status());
                return;
              }
              result->envelope = true;
              result->envelope_outputs = Json::array();
              for (size_t i = 0; i < answers->size(); ++i) {
                result->envelope_outputs.push_back(EnvelopeOutputJson(names[i], AnswerJson((*answers)[i])));
              }
              done(std::move(*result));
            });
}

void KserveService::PredictV1(const std::string& model, const std::string& version, std::string_view body,
                              const std::string& request_id, core::Headers headers, bool explain,
                              PredictionsCallback done) {
  auto info = models_.Info(model, version);
  if (!info.ok()) {
    done(info.status());
    return;
  }
  Json j;
  try {
    j = Json::parse(body);
  } catch (const std::exception& e) {
    done(InvalidArgument(std::string("the predict request is not valid JSON: ") + e.what()));
    return;
  }
  const Json* instances = nullptr;
  if (j.is_object()) {
    if (auto it = j.find("instances"); it != j.end()) instances = &*it;
    else if (auto in = j.find("inputs"); in != j.end()) instances = &*in;
  }
  if (!instances || !instances->is_array() || instances->empty()) {
    done(InvalidArgument("the predict request needs a non-empty \"instances\" list"));
    return;
  }
  if (Status admitted = policy_.Admit(model, version); !admitted.ok()) {
    done(admitted);
    return;
  }
  const bool tensors = UsesTensors(*info);
  std::vector<core::InferenceRequest> jobs;
  for (const auto& instance : *instances) {
    const Json* value = &instance;
    if (!tensors && instance.is_object()) {
      if (auto d = instance.find("data"); d != instance.end()) value = &*d;
      else if (auto b = instance.find("body"); b != instance.end()) value = &*b;
    }
    jobs.push_back(HandlerRequest(request_id, "data", "application/json", value->dump(), headers, explain));
  }
  SubmitAll(model, version, std::move(jobs), [done, explain](StatusOr<std::vector<core::InferenceResponse>> answers) {
    if (!answers.ok()) {
      done(answers.status());
      return;
    }
    Json list = Json::array();
    for (const auto& a : *answers) list.push_back(AnswerJson(a));
    Json out;
    out[explain ? "explanations" : "predictions"] = std::move(list);
    done(std::move(out));
  });
}

}  // namespace hearth::kserve
