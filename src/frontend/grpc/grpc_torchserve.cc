// TorchServe's gRPC inference (Predictions, StreamPredictions, the
// sequence dialog) and management services over the core.
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

#include "common/files.h"
#include "common/ids.h"
#include "common/json.h"
#include "frontend/common/describe_json.h"
#include "frontend/grpc/grpc_internal.h"

namespace hearth::frontend::grpc_internal {
namespace {

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

// Runs one prediction through the core (metrics as /predictions); a
// handler's streamed parts go to on_partial when set, else they lead the answer.
void RunPrediction(Shared& shared, const tsi::PredictionsRequest& request, grpc::CallbackServerContext* ctx,
                   std::function<void(core::InferenceResponse)> done, core::PartialCallback on_partial = nullptr) {
  const std::string model = request.model_name();
  const std::string version = request.model_version();
  if (Status admitted = shared.policy.Admit(model, version); !admitted.ok()) {
    core::InferenceResponse r;
    r.status = admitted;
    done(std::move(r));
    return;
  }
  core::InferenceRequest ir = ToInferenceRequest(request, ctx);
  ir.on_partial = std::move(on_partial);
  shared.models.Predict(model, request.model_version(), std::move(ir),
                        [&shared, model, version, done](core::InferenceResponse r) {
                          shared.policy.RecordAnswer(model, version, r);
                          done(std::move(r));
                        });
}

// StreamPredictions: one message per part a handler streams
// (send_intermediate_predict_response), then its answer; an error ends the
// stream with its status. Messages are written one at a time, in order;
// the stream finishes only after the answer came, so no callback outlives
// it. gRPC may run OnWriteDone inline from StartWrite, so neither StartWrite
// nor Finish is called with mu_ held.
class PredictionStream final : public grpc::ServerWriteReactor<tsi::PredictionResponse> {
 public:
  PredictionStream(Shared& shared, grpc::CallbackServerContext* ctx, const tsi::PredictionsRequest* request)
      : log_(shared, ctx, "org.pytorch.serve.grpc.inference.InferenceAPIsService/StreamPredictions") {
    if (!shared.Authorized(security::TokenKind::kInference, ctx)) {
      End(shared.Denied(security::TokenKind::kInference));
      return;
    }
    RunPrediction(
        shared, *request, ctx,
        [this](core::InferenceResponse r) {
          if (!r.status.ok()) {
            Enqueue(std::nullopt, ToGrpc(r.status));
            return;
          }
          Enqueue(Message(std::move(r.body)), grpc::Status::OK);
        },
        [this](core::InferenceResponse part) { Enqueue(Message(std::move(part.body)), std::nullopt); });
  }
  void OnWriteDone(bool ok) override {
    const tsi::PredictionResponse* next = nullptr;
    std::optional<grpc::Status> end;
    {
      std::lock_guard lock(mu_);
      queue_.pop_front();
      if (!ok) {
        client_gone_ = true;
        queue_.clear();
      }
      if (!queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
        end = EndStatusLocked();
      }
    }
    if (next) {
      StartWrite(next);
    } else if (end) {
      End(*end);
    }
  }
  void OnDone() override { delete this; }

 private:
  static tsi::PredictionResponse Message(std::string body) {
    tsi::PredictionResponse m;
    m.set_prediction(std::move(body));
    return m;
  }
  // Queues `message` (if any) for the client; with `end`, the stream
  // finishes with that status once everything queued is written.
  void Enqueue(std::optional<tsi::PredictionResponse> message, std::optional<grpc::Status> end) {
    const tsi::PredictionResponse* first = nullptr;
    std::optional<grpc::Status> finish;
    {
      std::lock_guard lock(mu_);
      if (message && !client_gone_) queue_.push_back(std::move(*message));
      if (end) end_ = std::move(end);
      if (writing_) return;
      if (!queue_.empty()) {
        writing_ = true;
        first = &queue_.front();
      } else {
        finish = EndStatusLocked();
      }
    }
    if (first) {
      StartWrite(first);
    } else if (finish) {
      End(*finish);
    }
  }
  std::optional<grpc::Status> EndStatusLocked() const {
    if (!end_) return std::nullopt;  // the answer has not come yet
    return client_gone_ ? grpc::Status(grpc::StatusCode::UNKNOWN, "the client went away") : *end_;
  }
  void End(const grpc::Status& status) {
    log_.Done(status);
    Finish(status);
  }
  CallLog log_;
  std::mutex mu_;
  std::deque<tsi::PredictionResponse> queue_;  // front: being written
  bool writing_ = false;
  bool client_gone_ = false;
  std::optional<grpc::Status> end_;  // set when the answer came
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
    return new PredictionStream(shared_, ctx, request);
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

}  // namespace

std::unique_ptr<tsi::InferenceAPIsService::CallbackService> MakeTorchServeInferenceService(Shared& shared) {
  return std::make_unique<TorchServeInferenceGrpc>(shared);
}

std::unique_ptr<tsm::ManagementAPIsService::CallbackService> MakeTorchServeManagementService(Shared& shared) {
  return std::make_unique<TorchServeManagementGrpc>(shared);
}

}  // namespace hearth::frontend::grpc_internal
