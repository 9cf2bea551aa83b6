#include "frontend/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <climits>
#include <deque>
#include <mutex>

#include "common/files.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/logging.h"
#include "frontend/common/describe_json.h"
#include "frontend/kserve/kserve_service.h"
#include "kserve/grpc_predict_v2.grpc.pb.h"
#include "torchserve/inference.grpc.pb.h"
#include "torchserve/management.grpc.pb.h"

namespace hearth::frontend {
namespace {

namespace kv2 = ::inference;
namespace tsi = ::org::pytorch::serve::grpc::inference;
namespace tsm = ::org::pytorch::serve::grpc::management;
using Clock = std::chrono::steady_clock;

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(PresentStatus(st.code()).grpc_code), st.message());
}

// "ipv4:127.0.0.1:5000" -> "/127.0.0.1:5000", TorchServe's access-log form.
std::string PeerForLog(const std::string& peer) {
  size_t colon = peer.find(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(colon + 1));
}

// What every service needs.
struct Shared {
  core::ModelManager& models;
  core::Metrics& metrics;
  core::RequestPolicy& policy;
  const config::ServerConfig& config;
  security::TokenAuthority* tokens;
  GrpcServer::Hooks hooks;
  kserve::KserveService kserve;

  bool Draining() const { return policy.Draining(); }

  bool Authorized(security::TokenKind kind, grpc::CallbackServerContext* ctx) const {
    if (!tokens) return true;
    const auto& md = ctx->client_metadata();
    auto it = md.find("authorization");
    std::string value = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
    return tokens->Check(kind, value);
  }

  grpc::Status Denied(security::TokenKind kind) const {
    return ToGrpc(Status(StatusCode::kUnauthenticated,
                        std::string("Token Authorization failed. Token either incorrect, expired, or not provided "
                                    "correctly (send metadata \"authorization: Bearer <") +
                            (kind == security::TokenKind::kInference ? "inference" : "management") + " key>\" from " +
                            tokens->key_file() + ")"));
  }
};

// One RPC's access-log line and response counter.
class CallLog {
 public:
  CallLog(Shared& shared, grpc::CallbackServerContext* ctx, std::string method)
      : shared_(shared), peer_(PeerForLog(ctx->peer())), method_(std::move(method)), start_(Clock::now()) {}

  void Done(const grpc::Status& status) const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    shared_.metrics.CountResponse(HttpStatusForGrpcCode(status.error_code()));
    logging::Access(peer_ + " \"gRPC " + method_ + " HTTP/2.0\" " + std::to_string(status.error_code()) + " " +
                    std::to_string(ms));
  }

 private:
  Shared& shared_;
  std::string peer_;
  std::string method_;
  Clock::time_point start_;
};

// Finishes a unary call now or later (from any thread), logging it.
class Unary {
 public:
  Unary(Shared& shared, grpc::CallbackServerContext* ctx, std::string method)
      : reactor_(ctx->DefaultReactor()), log_(shared, ctx, std::move(method)) {}
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  grpc::ServerUnaryReactor* Finish(const grpc::Status& status) const {
    log_.Done(status);
    reactor_->Finish(status);
    return reactor_;
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  CallLog log_;
};

// ---- KServe v2 ---------------------------------------------------------

template <typename T, typename Source>
Status AppendChecked(const Source& values, const std::string& name, const std::string& dt, std::string& out) {
  for (auto v : values) {
    if (v < static_cast<decltype(v)>(std::numeric_limits<T>::lowest()) ||
        v > static_cast<decltype(v)>(std::numeric_limits<T>::max())) {
      return InvalidArgument("input '" + name + "': " + std::to_string(v) + " is not a valid " + dt);
    }
    T t = static_cast<T>(v);
    out.append(reinterpret_cast<const char*>(&t), sizeof(T));
  }
  return Status::Ok();
}

StatusOr<std::string> ContentsToBytes(const kv2::InferTensorContents& c, const std::string& dt,
                                      const std::string& name) {
  std::string out;
  Status st = Status::Ok();
  if (dt == "BOOL") {
    for (bool b : c.bool_contents()) out += static_cast<char>(b);
  } else if (dt == "INT8") st = AppendChecked<int8_t>(c.int_contents(), name, dt, out);
  else if (dt == "INT16") st = AppendChecked<int16_t>(c.int_contents(), name, dt, out);
  else if (dt == "INT32") st = AppendChecked<int32_t>(c.int_contents(), name, dt, out);
  else if (dt == "INT64") st = AppendChecked<int64_t>(c.int64_contents(), name, dt, out);
  else if (dt == "UINT8") st = AppendChecked<uint8_t>(c.uint_contents(), name, dt, out);
  else if (dt == "UINT16") st = AppendChecked<uint16_t>(c.uint_contents(), name, dt, out);
  else if (dt == "UINT32") st = AppendChecked<uint32_t>(c.uint_contents(), name, dt, out);
  else if (dt == "UINT64") st = AppendChecked<uint64_t>(c.uint64_contents(), name, dt, out);
  else if (dt == "FP32") st = AppendChecked<float>(c.fp32_contents(), name, dt, out);
  else if (dt == "FP64") st = AppendChecked<double>(c.fp64_contents(), name, dt, out);
  else if (dt == "BYTES") {
    out = kserve::JoinBytesElements({c.bytes_contents().begin(), c.bytes_contents().end()});
  } else if (dt == "FP16" || dt == "BF16") {
    return InvalidArgument("input '" + name + "': " + dt + " has no typed contents; send it in raw_input_contents");
  } else {
    return InvalidArgument("input '" + name + "': unknown datatype \"" + dt + "\"");
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
    t.datatype = in.datatype();
    t.shape.assign(in.shape().begin(), in.shape().end());
    if (t.name.empty()) return InvalidArgument("every input needs a name");
    for (const auto& other : out.inputs) {
      if (other.name == t.name) return InvalidArgument("input '" + t.name + "' is given twice");
    }
    if (ipc::DatatypeSize(t.datatype) < 0) RETURN_IF_ERROR(kserve::ValidateTensor(t));
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
    Json meta = kserve::ModelMetadata(*info);
    response->set_name(meta["name"].get<std::string>());
    for (const auto& v : meta["versions"]) response->add_versions(v.get<std::string>());
    response->set_platform(meta["platform"].get<std::string>());
    auto fill = [](const Json& list, auto add) {
      for (const auto& t : list) {
        auto* m = add();
        m->set_name(t.value("name", ""));
        m->set_datatype(t.value("datatype", ""));
        if (t.contains("shape") && t["shape"].is_array()) {
          for (const auto& d : t["shape"]) m->add_shape(d.get<int64_t>());
        }
      }
    };
    fill(meta["inputs"], [response] { return response->add_inputs(); });
    fill(meta["outputs"], [response] { return response->add_outputs(); });
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
            o->set_datatype(t.datatype);
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

// ---- TorchServe inference ------------------------------------------------

core::InferenceRequest ToInferenceRequest(const tsi::PredictionsRequest& request, grpc::CallbackServerContext* ctx) {
  core::InferenceRequest ir;
  ir.request_id = NewUuid();
  for (const auto& [name, value] : request.input()) ir.inputs.push_back({name, "", value});
  for (const auto& [k, v] : ctx->client_metadata()) {
    ir.headers.emplace_back(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
  }
  return ir;
}

// Runs one prediction through the core (metrics as /predictions).
void RunPrediction(Shared& shared, const tsi::PredictionsRequest& request, grpc::CallbackServerContext* ctx,
                   std::function<void(core::InferenceResponse)> done) {
  const std::string model = request.model_name();
  const std::string version = request.model_version();
  if (Status admitted = shared.policy.Admit(model, version); !admitted.ok()) {
    core::InferenceResponse r;
    r.status = admitted;
    done(std::move(r));
    return;
  }
  shared.models.Predict(model, request.model_version(), ToInferenceRequest(request, ctx),
                        [&shared, model, version, done](core::InferenceResponse r) {
                          shared.policy.RecordAnswer(model, version, r);
                          done(std::move(r));
                        });
}

// StreamPredictions: Hearth's handlers answer once, so the stream carries
// one message (TorchServe streams intermediate answers of Python handlers).
class OneAnswerStream final : public grpc::ServerWriteReactor<tsi::PredictionResponse> {
 public:
  OneAnswerStream(Shared& shared, grpc::CallbackServerContext* ctx, const tsi::PredictionsRequest* request)
      : log_(shared, ctx, "org.pytorch.serve.grpc.inference.InferenceAPIsService/StreamPredictions") {
    if (!shared.Authorized(security::TokenKind::kInference, ctx)) {
      End(shared.Denied(security::TokenKind::kInference));
      return;
    }
    RunPrediction(shared, *request, ctx, [this](core::InferenceResponse r) {
      if (!r.status.ok()) {
        End(ToGrpc(r.status));
        return;
      }
      response_.set_prediction(std::move(r.body));
      StartWrite(&response_);
    });
  }
  void OnWriteDone(bool ok) override {
    End(ok ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNKNOWN, "the client went away"));
  }
  void OnDone() override { delete this; }

 private:
  void End(const grpc::Status& status) {
    log_.Done(status);
    Finish(status);
  }
  CallLog log_;
  tsi::PredictionResponse response_;
};

// StreamPredictions2: every request on the stream gets one answer, in the
// order the answers complete (errors go in its status field; the stream
// stays open). Lives until gRPC is done with it and no prediction is still
// running. gRPC may run a reaction inline from StartWrite or Finish, so
// neither is called with mu_ held.
class PredictionDialog final : public grpc::ServerBidiReactor<tsi::PredictionsRequest, tsi::PredictionResponse> {
 public:
  PredictionDialog(Shared& shared, grpc::CallbackServerContext* ctx)
      : shared_(shared), ctx_(ctx),
        log_(shared, ctx, "org.pytorch.serve.grpc.inference.InferenceAPIsService/StreamPredictions2") {
    if (!shared.Authorized(security::TokenKind::kInference, ctx)) {
      finished_ = true;
      End(shared.Denied(security::TokenKind::kInference));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      bool finish = false;
      {
        std::lock_guard lock(mu_);
        reads_done_ = true;
        finish = ShouldFinishLocked();
      }
      if (finish) End(grpc::Status::OK);
      return;
    }
    tsi::PredictionsRequest request = request_;
    {
      std::lock_guard lock(mu_);
      ++pending_;
    }
    StartRead(&request_);
    RunPrediction(shared_, request, ctx_, [this, sequence = request.sequenceid()](core::InferenceResponse r) {
      tsi::PredictionResponse answer;
      if (!sequence.empty()) answer.set_sequenceid(sequence);
      if (r.status.ok()) {
        answer.set_prediction(std::move(r.body));
      } else {
        answer.mutable_status()->set_code(PresentStatus(r.status.code()).grpc_code);
        answer.mutable_status()->set_message(r.status.message());
      }
      OnAnswer(std::move(answer));
    });
  }

  void OnWriteDone(bool ok) override {
    const tsi::PredictionResponse* next = nullptr;
    bool finish = false;
    {
      std::lock_guard lock(mu_);
      outbox_.pop_front();
      if (!ok) {
        outbox_.clear();
        writing_ = false;
        finish = !finished_;
        finished_ = true;
      } else if (!outbox_.empty()) {
        next = &outbox_.front();
      } else {
        writing_ = false;
        finish = ShouldFinishLocked();
      }
    }
    if (next) StartWrite(next);
    if (finish) End(ok ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNKNOWN, "the client went away"));
  }

  void OnDone() override {
    bool last = false;
    {
      std::lock_guard lock(mu_);
      done_ = true;
      last = pending_ == 0;
    }
    if (last) delete this;
  }

 private:
  void OnAnswer(tsi::PredictionResponse answer) {
    const tsi::PredictionResponse* write = nullptr;
    bool finish = false;
    bool last = false;  // gRPC is done with us and this was the last prediction
    {
      std::lock_guard lock(mu_);
      --pending_;
      if (done_) {
        last = pending_ == 0;
      } else if (!finished_) {
        outbox_.push_back(std::move(answer));
        if (!writing_) {
          writing_ = true;
          write = &outbox_.front();
        }
        finish = ShouldFinishLocked();
      }
    }
    if (last) {
      delete this;
      return;
    }
    if (write) StartWrite(write);
    if (finish) End(grpc::Status::OK);
  }

  // Claims the right to call Finish once the client stopped sending and
  // every answer is written.
  bool ShouldFinishLocked() {
    if (reads_done_ && pending_ == 0 && !writing_ && !finished_) {
      finished_ = true;
      return true;
    }
    return false;
  }

  void End(const grpc::Status& status) {
    log_.Done(status);
    Finish(status);
  }

  Shared& shared_;
  grpc::CallbackServerContext* ctx_;
  CallLog log_;
  tsi::PredictionsRequest request_;             // the read in progress
  std::mutex mu_;
  std::deque<tsi::PredictionResponse> outbox_;  // guarded by mu_; front() is being written
  int pending_ = 0;                             // guarded by mu_: predictions not yet answered
  bool reads_done_ = false;                     // guarded by mu_
  bool writing_ = false;                        // guarded by mu_
  bool finished_ = false;                       // guarded by mu_: Finish claimed
  bool done_ = false;                           // guarded by mu_: OnDone ran
};

class TorchServeInferenceGrpc final : public tsi::InferenceAPIsService::CallbackService {
 public:
  explicit TorchServeInferenceGrpc(Shared& shared) : shared_(shared) {}

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx, const google::protobuf::Empty*,
                                 tsi::TorchServeHealthResponse* response) override {
    const bool healthy = !shared_.Draining() && shared_.models.Healthy();
    Json j;
    j["status"] = healthy ? "Healthy" : "Unhealthy";
    response->set_health(FrontendJson(j));
    return Unary(shared_, ctx, "org.pytorch.serve.grpc.inference.InferenceAPIsService/Ping").Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* Predictions(grpc::CallbackServerContext* ctx, const tsi::PredictionsRequest* request,
                                        tsi::PredictionResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, "org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions");
    if (!shared_.Authorized(security::TokenKind::kInference, ctx)) {
      return call->Finish(shared_.Denied(security::TokenKind::kInference));
    }
    RunPrediction(shared_, *request, ctx, [call, response](core::InferenceResponse r) {
      if (!r.status.ok()) {
        call->Finish(ToGrpc(r.status));
        return;
      }
      response->set_prediction(std::move(r.body));
      call->Finish(grpc::Status::OK);
    });
    return call->reactor();
  }

  grpc::ServerWriteReactor<tsi::PredictionResponse>* StreamPredictions(
      grpc::CallbackServerContext* ctx, const tsi::PredictionsRequest* request) override {
    return new OneAnswerStream(shared_, ctx, request);
  }

  grpc::ServerBidiReactor<tsi::PredictionsRequest, tsi::PredictionResponse>* StreamPredictions2(
      grpc::CallbackServerContext* ctx) override {
    return new PredictionDialog(shared_, ctx);
  }

 private:
  Shared& shared_;
};

// ---- TorchServe management ------------------------------------------------

class TorchServeManagementGrpc final : public tsm::ManagementAPIsService::CallbackService {
 public:
  explicit TorchServeManagementGrpc(Shared& shared) : shared_(shared) {}

  grpc::ServerUnaryReactor* DescribeModel(grpc::CallbackServerContext* ctx, const tsm::DescribeModelRequest* request,
                                          tsm::ManagementResponse* response) override {
    Unary call(shared_, ctx, Method("DescribeModel"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call.Finish(Denied());
    auto described = shared_.models.Describe(request->model_name(), request->model_version());
    if (!described.ok()) return call.Finish(ToGrpc(described.status()));
    response->set_msg(FrontendJson(DescribeJson(*described)));
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* ctx, const tsm::ListModelsRequest* request,
                                       tsm::ManagementResponse* response) override {
    Unary call(shared_, ctx, Method("ListModels"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call.Finish(Denied());
    response->set_msg(FrontendJson(shared_.models.List(request->limit() > 0 ? request->limit() : 100,
                                                       request->next_page_token())));
    return call.Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RegisterModel(grpc::CallbackServerContext* ctx, const tsm::RegisterModelRequest* request,
                                          tsm::ManagementResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, Method("RegisterModel"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call->Finish(Denied());
    if (!shared_.config.enable_model_api) return call->Finish(ModelApiOff());
    if (request->url().empty()) {
      return call->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "Parameter url is required."));
    }
    core::RegisterParams p;
    p.url = request->url();
    p.model_name = request->model_name();
    p.handler = request->handler();
    p.runtime = request->runtime();
    if (request->batch_size() > 0) p.batch_size = request->batch_size();
    if (request->max_batch_delay() > 0) p.max_batch_delay_ms = request->max_batch_delay();
    p.initial_workers = request->initial_workers();  // gRPC's default is 0, as TorchServe's
    if (request->response_timeout() > 0) p.response_timeout_s = request->response_timeout();
    p.synchronous = request->synchronous();
    shared_.models.Register(p, Reply(call, response));
    return call->reactor();
  }

  grpc::ServerUnaryReactor* ScaleWorker(grpc::CallbackServerContext* ctx, const tsm::ScaleWorkerRequest* request,
                                        tsm::ManagementResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, Method("ScaleWorker"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call->Finish(Denied());
    core::ScaleParams p;
    p.min_worker = request->min_worker();  // validated in the core, as for HTTP
    p.max_worker = request->max_worker() > 0 ? request->max_worker() : p.min_worker;
    p.synchronous = request->synchronous();
    shared_.models.Scale(request->model_name(), request->model_version(), p, Reply(call, response));
    return call->reactor();
  }

  grpc::ServerUnaryReactor* SetDefault(grpc::CallbackServerContext* ctx, const tsm::SetDefaultRequest* request,
                                       tsm::ManagementResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, Method("SetDefault"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call->Finish(Denied());
    Reply(call, response)(shared_.models.SetDefault(request->model_name(), request->model_version()));
    return call->reactor();
  }

  grpc::ServerUnaryReactor* UnregisterModel(grpc::CallbackServerContext* ctx,
                                            const tsm::UnregisterModelRequest* request,
                                            tsm::ManagementResponse* response) override {
    auto call = std::make_shared<Unary>(shared_, ctx, Method("UnregisterModel"));
    if (!shared_.Authorized(security::TokenKind::kManagement, ctx)) return call->Finish(Denied());
    if (!shared_.config.enable_model_api) return call->Finish(ModelApiOff());
    shared_.models.Unregister(request->model_name(), request->model_version(), Reply(call, response));
    return call->reactor();
  }

 private:
  static std::string Method(const char* name) {
    return std::string("org.pytorch.serve.grpc.management.ManagementAPIsService/") + name;
  }
  grpc::Status Denied() const { return shared_.Denied(security::TokenKind::kManagement); }
  static grpc::Status ModelApiOff() {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "the model API is disabled: start hearth with --enable-model-api or set enable_model_api=true");
  }
  core::ManagementCallback Reply(std::shared_ptr<Unary> call, tsm::ManagementResponse* response) {
    return [this, call, response](StatusOr<core::ManagementReply> r) {
      if (!r.ok()) {
        call->Finish(ToGrpc(r.status()));
        return;
      }
      if (shared_.hooks.on_models_changed) shared_.hooks.on_models_changed();
      Json j;
      j["status"] = r->message;
      response->set_msg(FrontendJson(j));
      call->Finish(grpc::Status::OK);
    };
  }

  Shared& shared_;
};

std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

struct GrpcServer::Impl {
  Impl(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
       const config::ServerConfig& config, security::TokenAuthority* tokens, Hooks hooks)
      : shared{models, metrics, policy, config, tokens, std::move(hooks), kserve::KserveService(models, policy)},
        kserve(shared), ts_inference(shared), ts_management(shared) {}

  Shared shared;
  KserveGrpc kserve;
  TorchServeInferenceGrpc ts_inference;
  TorchServeManagementGrpc ts_management;
  std::unique_ptr<grpc::Server> inference;
  std::unique_ptr<grpc::Server> management;
  int inference_port = 0;
  int management_port = 0;
};

GrpcServer::GrpcServer(core::ModelManager& models, core::Metrics& metrics, core::RequestPolicy& policy,
                       const config::ServerConfig& config, security::TokenAuthority* tokens, Hooks hooks)
    : impl_(std::make_unique<Impl>(models, metrics, policy, config, tokens, std::move(hooks))) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

Status GrpcServer::Start() {
  const config::ServerConfig& c = impl_->shared.config;
  grpc::EnableDefaultHealthCheckService(true);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (c.enable_grpc_ssl) {
    if (c.private_key_file.empty() || c.certificate_file.empty()) {
      return InvalidArgument("enable_grpc_ssl=true needs private_key_file and certificate_file (PEM) in config.properties");
    }
    auto key = ReadFile(c.private_key_file);
    if (!key.ok()) return key.status().WithPrefix("private_key_file");
    auto cert = ReadFile(c.certificate_file);
    if (!cert.ok()) return cert.status().WithPrefix("certificate_file");
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  auto build = [&](const char* what, const char* key, const std::string& host, int port, int64_t age_ms,
                   int64_t grace_ms, std::vector<grpc::Service*> services, int& bound)
      -> StatusOr<std::unique_ptr<grpc::Server>> {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(HostPort(host, port), credentials, &bound);
    for (auto* s : services) builder.RegisterService(s);
    builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(c.max_request_size, INT_MAX)));
    builder.SetMaxSendMessageSize(static_cast<int>(std::min<int64_t>(c.max_response_size, INT_MAX)));
    if (age_ms > 0) builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, static_cast<int>(age_ms));
    if (grace_ms > 0) builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, static_cast<int>(grace_ms));
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || bound == 0) {
      return Unavailable(std::string(what) + ": cannot listen on " + HostPort(host, port) +
                         " (in use? change " + key + ", or set hearth_grpc_enable=false)");
    }
    return server;
  };
  auto inference = build("gRPC inference API", "grpc_inference_port", c.grpc_inference_host, c.grpc_inference_port,
                         c.grpc_inference_max_connection_age_ms, c.grpc_inference_max_connection_age_grace_ms,
                         {&impl_->kserve, &impl_->ts_inference}, impl_->inference_port);
  if (!inference.ok()) return inference.status();
  impl_->inference = std::move(*inference);
  auto management = build("gRPC management API", "grpc_management_port", c.grpc_management_host,
                          c.grpc_management_port, c.grpc_management_max_connection_age_ms,
                          c.grpc_management_max_connection_age_grace_ms, {&impl_->ts_management},
                          impl_->management_port);
  if (!management.ok()) {
    impl_->inference->Shutdown();
    impl_->inference.reset();
    return management.status();
  }
  impl_->management = std::move(*management);
  return Status::Ok();
}

void GrpcServer::BeginDrain() {
  for (auto* s : {impl_->inference.get(), impl_->management.get()}) {
    if (s && s->GetHealthCheckService()) s->GetHealthCheckService()->SetServingStatus(false);
  }
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::system_clock::now() + grace;
  for (auto* s : {&impl_->inference, &impl_->management}) {
    if (*s) {
      (*s)->Shutdown(deadline);
      s->reset();
    }
  }
}

int GrpcServer::inference_port() const { return impl_->inference_port; }
int GrpcServer::management_port() const { return impl_->management_port; }

}  // namespace hearth::frontend
