// KServe v2's GRPCInferenceService over the core's KserveService.
#include <climits>

#include "common/ids.h"
#include "common/json.h"
#include "frontend/grpc/grpc_internal.h"

namespace hearth::frontend::grpc_internal {
namespace {

// ---- KServe v2 ---------------------------------------------------------

template <typename T, typename Source>
Status AppendChecked(const Source& values, const std::string& name, ipc::DataType dt, std::string& out) {
  for (auto v : values) {
    if (v < static_cast<decltype(v)>(std::numeric_limits<T>::lowest()) ||
        v > static_cast<decltype(v)>(std::numeric_limits<T>::max())) {
      return InvalidArgument("input '" + name + "': " + std::to_string(v) + " is not a valid " +
                             ipc::DataTypeName(dt));
    }
    T t = static_cast<T>(v);
    out.append(reinterpret_cast<const char*>(&t), sizeof(T));
  }
  return Status::Ok();
}

StatusOr<std::string> ContentsToBytes(const kv2::InferTensorContents& c, ipc::DataType dt, const std::string& name) {
  using ipc::DataType;
  std::string out;
  Status st = Status::Ok();
  switch (dt) {
    case DataType::kBool:
      for (bool b : c.bool_contents()) out += static_cast<char>(b);
      break;
    case DataType::kInt8: st = AppendChecked<int8_t>(c.int_contents(), name, dt, out); break;
    case DataType::kInt16: st = AppendChecked<int16_t>(c.int_contents(), name, dt, out); break;
    case DataType::kInt32: st = AppendChecked<int32_t>(c.int_contents(), name, dt, out); break;
    case DataType::kInt64: st = AppendChecked<int64_t>(c.int64_contents(), name, dt, out); break;
    case DataType::kUint8: st = AppendChecked<uint8_t>(c.uint_contents(), name, dt, out); break;
    case DataType::kUint16: st = AppendChecked<uint16_t>(c.uint_contents(), name, dt, out); break;
    case DataType::kUint32: st = AppendChecked<uint32_t>(c.uint_contents(), name, dt, out); break;
    case DataType::kUint64: st = AppendChecked<uint64_t>(c.uint64_contents(), name, dt, out); break;
    case DataType::kFp32: st = AppendChecked<float>(c.fp32_contents(), name, dt, out); break;
    case DataType::kFp64: st = AppendChecked<double>(c.fp64_contents(), name, dt, out); break;
    case DataType::kBytes:
      out = kserve::JoinBytesElements({c.bytes_contents().begin(), c.bytes_contents().end()});
      break;
    case DataType::kFp16:
    case DataType::kBf16:
      return InvalidArgument("input '" + name + "': " + ipc::DataTypeName(dt) +
                             " has no typed contents; send it in raw_input_contents");
  }
  if (!st.ok()) return st;
  return out;
}

StatusOr<kserve::InferRequest> FromGrpc(const kv2::ModelInferRequest& req) {
  kserve::InferRequest out;
  if (!req.id().empty()) out.id = req.id();
  if (req.inputs_size() == 0) return InvalidArgument("the infer request has no inputs");
  const bool raw = req.raw_input_contents_size() > 0;
  if (raw && req.raw_input_contents_size() != req.inputs_size()) {
    return InvalidArgument("raw_input_contents has " + std::to_string(req.raw_input_contents_size()) +
                           " entries for " + std::to_string(req.inputs_size()) + " inputs");
  }
  for (int i = 0; i < req.inputs_size(); ++i) {
    const auto& in = req.inputs(i);
    kserve::WireTensor t;
    t.name = in.name();
    t.shape.assign(in.shape().begin(), in.shape().end());
    if (t.name.empty()) return InvalidArgument("every input needs a name");
    for (const auto& other : out.inputs) {
      if (other.name == t.name) return InvalidArgument("input '" + t.name + "' is given twice");
    }
    ASSIGN_OR_RETURN(t.datatype, ipc::ParseInputDataType(in.datatype(), t.name));
    if (raw) {
      t.data = req.raw_input_contents(i);
    } else {
      ASSIGN_OR_RETURN(t.data, ContentsToBytes(in.contents(), t.datatype, t.name));
    }
    RETURN_IF_ERROR(kserve::ValidateTensor(t));
    out.inputs.push_back(std::move(t));
  }
  for (const auto& o : req.outputs()) out.outputs.push_back({o.name(), true});
  return out;
}

class KserveGrpc final : public kv2::GRPCInferenceService::CallbackService {
 public:
  explicit KserveGrpc(Shared& shared) : shared_(shared) {}

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* ctx, const kv2::ServerLiveRequest*,
                                       kv2::ServerLiveResponse* response) override {
    response->set_live(true);
    return Unary(shared_, ctx, "inference.GRPCInferenceService/ServerLive").Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* ctx, const kv2::ServerReadyRequest*,
                                        kv2::ServerReadyResponse* response) override {
    response->set_ready(!shared_.Draining() && shared_.models.AllReady());
    return Unary(shared_, ctx, "inference.GRPCInferenceService/ServerReady").Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* ctx, const kv2::ModelReadyRequest* request,
                                       kv2::ModelReadyResponse* response) override {
    Unary call(shared_, ctx, "inference.GRPCInferenceService/ModelReady");
    auto info = shared_.models.Info(request->name(), request->version());
    if (!info.ok()) return call.Finish(ToGrpc(info.status()));
    response->set_ready(info->ready && !shared_.Draining());
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* ctx, const kv2::ServerMetadataRequest*,
                                           kv2::ServerMetadataResponse* response) override {
    Json meta = kserve::ServerMetadata();
    response->set_name(meta["name"].get<std::string>());
    response->set_version(meta["version"].get<std::string>());
    for (const auto& e : meta["extensions"]) response->add_extensions(e.get<std::string>());
    return Unary(shared_, ctx, "inference.GRPCInferenceService/ServerMetadata").Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* ctx, const kv2::ModelMetadataRequest* request,
                                          kv2::ModelMetadataResponse* response) override {
    Unary call(shared_, ctx, "inference.GRPCInferenceService/ModelMetadata");
    if (!shared_.Authorized(security::TokenKind::kInference, ctx)) {
      return call.Finish(shared_.Denied(security::TokenKind::kInference));
    }
    auto info = shared_.models.Info(request->name(), request->version());
    if (!info.ok()) return call.Finish(ToGrpc(info.status()));
    response->set_name(info->name);
    for (const auto& v : info->versions) response->add_versions(v);
    response->set_platform(kserve::kPlatform);
    auto fill = [](const std::vector<ipc::TensorSpec>& specs, auto add) {
      for (const auto& t : specs) {
        auto* m = add();
        m->set_name(t.name);
        m->set_datatype(ipc::DataTypeName(t.datatype));
        for (int64_t d : t.shape) m->add_shape(d);
      }
    };
    if (info->signature) {
      fill(info->signature->inputs, [response] { return response->add_inputs(); });
      fill(info->signature->outputs, [response] { return response->add_outputs(); });
    }
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const kv2::ModelInferRequest* request,
                                       kv2::ModelInferResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, "inference.GRPCInferenceService/ModelInfer");
    if (!shared_.Authorized(security::TokenKind::kInference, ctx)) {
      return call->Finish(shared_.Denied(security::TokenKind::kInference));
    }
    auto parsed = FromGrpc(*request);
    if (!parsed.ok()) return call->Finish(ToGrpc(parsed.status()));
    auto wanted = std::make_shared<kserve::InferRequest>();
    wanted->id = parsed->id;
    wanted->outputs = parsed->outputs;
    core::Headers headers;
    for (const auto& [k, v] : ctx->client_metadata()) {
      headers.emplace_back(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    }
    shared_.kserve.Infer(
        request->model_name(), request->model_version(), std::move(*parsed), NewUuid(), std::move(headers), false,
        [call, wanted, response](StatusOr<kserve::InferResult> r) {
          if (!r.ok()) {
            call->Finish(ToGrpc(r.status()));
            return;
          }
          std::vector<kserve::WireTensor> outputs = std::move(r->tensors);
          if (r->envelope) {
            outputs = kserve::EnvelopeOutputsAsTensors(r->envelope_outputs);
            wanted->outputs.clear();  // envelope outputs are named after the inputs
          }
          auto selected = kserve::SelectOutputs(*wanted, std::move(outputs));
          if (!selected.ok()) {
            call->Finish(ToGrpc(selected.status()));
            return;
          }
          response->set_model_name(r->model_name);
          response->set_model_version(r->model_version);
          if (wanted->id) response->set_id(*wanted->id);
          for (auto& t : *selected) {
            auto* o = response->add_outputs();
            o->set_name(t.name);
            o->set_datatype(ipc::DataTypeName(t.datatype));
            for (int64_t d : t.shape) o->add_shape(d);
            response->add_raw_output_contents(std::move(t.data));
          }
          call->Finish(grpc::Status::OK);
        });
    return call->reactor();
  }

 private:
  Shared& shared_;
};

}  // namespace

std::unique_ptr<kv2::GRPCInferenceService::CallbackService> MakeKserveService(Shared& shared) {
  return std::make_unique<KserveGrpc>(shared);
}

}  // namespace hearth::frontend::grpc_internal
