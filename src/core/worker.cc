#include "core/worker.h"

#include <signal.h>
#include <sys/wait.h>

#include "common/logging.h"
#include "common/strings.h"
#include "core/process.h"
#include "core/worker_process.h"
#include "ipc/framing.h"

namespace hearth::core {
namespace asio = boost::asio;

namespace {

HandlerMetricSample ToSample(const ipc::HandlerMetric& m) {
  HandlerMetricSample sample;
  sample.name = m.name();
  sample.unit = m.unit();
  sample.kind = m.type() == ipc::HandlerMetric::GAUGE       ? MetricKind::kGauge
                : m.type() == ipc::HandlerMetric::HISTOGRAM ? MetricKind::kHistogram
                                                            : MetricKind::kCounter;
  const int dims = std::min(m.dimension_names_size(), m.dimension_values_size());
  for (int i = 0; i < dims; ++i) sample.dimensions.emplace_back(m.dimension_names(i), m.dimension_values(i));
  sample.value = m.value();
  sample.request_id = m.request_id();
  return sample;
}

// One request's answer from the worker's Response.
InferenceResponse ToResponse(ipc::Response& resp, int64_t max_response_size) {
  InferenceResponse r;
  r.http_status = resp.http_status();
  if (resp.status_code() != 0) {
    r.status = Status(StatusCodeFromInt(resp.status_code()), resp.message());
  } else if (static_cast<int64_t>(resp.body().size()) > max_response_size) {
    r.status = Internal("response of " + std::to_string(resp.body().size()) + " bytes exceeds max_response_size (" +
                        std::to_string(max_response_size) + ")");
  } else {
    r.body = std::move(*resp.mutable_body());
    r.content_type = resp.content_type();
    for (const auto& [k, v] : resp.headers()) r.headers.emplace_back(k, v);
  }
  return r;
}

}  // namespace

Worker::Worker(asio::io_context& io, WorkerOptions options, std::weak_ptr<WorkerListener> listener)
    : io_(io),
      strand_(asio::make_strand(io)),
      options_(std::move(options)),
      timers_(*options_.timers),
      processes_(options_.processes ? *options_.processes : RealProcessHost()),
      listener_(std::move(listener)),
      backoff_(options_.max_retry_timeout_s) {
  HEARTH_CHECK(options_.timers != nullptr);
  intra_op_threads_ = options_.intra_op_threads;
  cpu_list_ = options_.cpu_list;
}

Worker::~Worker() {
  // Pending timers hold only a weak reference: they find the slot gone. The
  // Timers may already be gone too (a slot can outlive its manager in the
  // io_context's queue at exit), so they are not touched here.
  MutexLock lock(mu_);
  if (pid_ > 0 && (state_ == WorkerState::kStarting || state_ == WorkerState::kReady ||
                   state_ == WorkerState::kBusy || state_ == WorkerState::kStopping)) {
    processes_.Kill(pid_);
  }
}

void Worker::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->SpawnProcess(); });
}

WorkerState Worker::state() const {
  MutexLock lock(mu_);
  return state_;
}

bool Worker::IsFinal() const {
  const WorkerState s = state();
  return s == WorkerState::kStopped || s == WorkerState::kFailed;
}

std::string Worker::signature_json() const {
  MutexLock lock(mu_);
  return signature_json_;
}

WorkerSnapshot Worker::Snapshot() const {
  WorkerSnapshot s;
  {
    MutexLock lock(mu_);
    s.id = options_.id;
    s.name = options_.name;
    s.pid = pid_;
    s.state = state_;
    s.start_time = start_time_;
    s.restarts = restarts_;
    s.intra_op_threads = intra_op_threads_;
    s.cpu_list = cpu_list_;
  }
  if (s.pid > 0 && (s.state == WorkerState::kReady || s.state == WorkerState::kBusy ||
                    s.state == WorkerState::kStarting)) {
    s.rss_bytes = ProcessRssBytes(s.pid);
  }
  return s;
}

void Worker::SetState(WorkerState to) {
  if (!IsLegalTransition(state_, to)) {
    HLOG_ERROR("{}: illegal worker state transition {} -> {}", options_.name, static_cast<int>(state_),
               static_cast<int>(to));
    HEARTH_CHECK(IsLegalTransition(state_, to));
  }
  state_ = to;
}

void Worker::SetStateAndNotify(WorkerState to) {
  {
    MutexLock lock(mu_);
    SetState(to);
  }
  NotifyStateChanged();
}

void Worker::RecordHandlerMetrics(const google::protobuf::RepeatedPtrField<ipc::HandlerMetric>& metrics) {
  if (!options_.metrics) return;
  for (const auto& m : metrics) options_.metrics->RecordHandlerMetric(ToSample(m));
}

void Worker::NotifyStateChanged() {
  if (auto l = listener_.lock()) l->OnWorkerStateChanged(shared_from_this());
}

void Worker::SpawnProcess() {
  if (retiring_) return;
  const uint64_t gen = ++generation_;
  failing_ = false;
  killed_by_us_ = false;
  load_reported_ = false;
  exit_status_.reset();
  write_queue_.clear();
  frames_in_write_ = 0;
  incoming_ = ipc::FrameBuffer();
  spawned_at_ = timers_.Now();
  auto process = processes_.Launch({options_.command, options_.env, options_.name, options_.launcher_log});
  if (!process.ok()) {
    HLOG_ERROR("{}: {}", options_.name, process.status().message());
    FinishFailure(process.status().message(), Death::kFailed);
    return;
  }
  socket_ = std::make_unique<Socket>(strand_, asio::local::stream_protocol(), process->socket_fd);
  socket_->non_blocking(true);  // WriteNext tries a write before it waits
  stdout_pipe_ = std::make_unique<Pipe>(strand_, process->stdout_fd);
  stderr_pipe_ = std::make_unique<Pipe>(strand_, process->stderr_fd);
  {
    MutexLock lock(mu_);
    pid_ = process->pid;
    start_time_ = std::chrono::system_clock::now();
    SetState(WorkerState::kStarting);
  }
  HLOG_INFO("{}: started worker process {}", options_.name, process->pid);
  std::weak_ptr<Worker> weak = weak_from_this();
  auto strand = strand_;
  processes_.WatchExit(process->pid, [weak, strand, gen](int st) {
    asio::post(strand, [weak, gen, st] {
      if (auto self = weak.lock()) self->OnProcessExit(gen, st);
    });
  });
  ReadFrames(gen);
  ReadLog(gen, stdout_pipe_.get(), std::make_shared<asio::streambuf>(), LogStream::kStdout);
  ReadLog(gen, stderr_pipe_.get(), std::make_shared<asio::streambuf>(), LogStream::kStderr);
  ArmTimer(std::chrono::seconds(options_.startup_timeout_s), TimerReason::kStartup);
  NotifyStateChanged();
}

void Worker::ArmTimer(std::chrono::milliseconds after, TimerReason reason) {
  CancelTimer();
  timer_reason_ = reason;
  const uint64_t sequence = timer_sequence_;
  const uint64_t gen = generation_;
  std::weak_ptr<Worker> weak = weak_from_this();
  auto strand = strand_;
  timer_id_ = timers_.After(after, [weak, strand, gen, sequence] {
    asio::post(strand, [weak, gen, sequence] {
      if (auto self = weak.lock()) self->OnTimer(gen, sequence);
    });
  });
}

void Worker::CancelTimer() {
  ++timer_sequence_;
  timers_.Cancel(timer_id_);
  timer_id_ = 0;
}

void Worker::KillProcess() {
  killed_by_us_ = true;
  MutexLock lock(mu_);
  if (pid_ > 0 && !exit_status_) processes_.Kill(pid_);
}

void Worker::OnTimer(uint64_t gen, uint64_t sequence) {
  if (gen != generation_ || sequence != timer_sequence_) return;  // cancelled or re-armed meanwhile
  timer_id_ = 0;
  switch (timer_reason_) {
    case TimerReason::kExitGrace:  // the connection broke but the process did not exit: make sure it does
    case TimerReason::kStop:
      KillProcess();
      return;
    case TimerReason::kStartup:
      KillProcess();
      OnProcessFailure(gen, "startup timeout");
      return;
    case TimerReason::kResponse:
      KillProcess();
      OnProcessFailure(gen, "response timeout");
      return;
  }
}

void Worker::OnMessage(uint64_t gen, ipc::Envelope envelope) {
  switch (envelope.message_case()) {
    case ipc::Envelope::kHello: {
      if (envelope.hello().protocol_version() != ipc::kProtocolVersion) {
        OnProcessFailure(gen, "worker speaks protocol " + std::to_string(envelope.hello().protocol_version()) +
                                  ", server " + std::to_string(ipc::kProtocolVersion) +
                                  " (mismatched hearth and hearth-worker builds)");
        return;
      }
      ipc::Envelope load;
      *load.mutable_load_model() = options_.load;
      {
        MutexLock lock(mu_);
        load.mutable_load_model()->set_intra_op_threads(intra_op_threads_);
        load.mutable_load_model()->clear_cpu_list();
        for (int c : cpu_list_) load.mutable_load_model()->add_cpu_list(c);
      }
      Send(std::move(load));
      return;
    }
    case ipc::Envelope::kLoadModelResult:
      if (load_reported_) {
        OnProcessFailure(gen, "protocol error: a second LoadModelResult");
        return;
      }
      OnLoadResult(gen, envelope.load_model_result());
      return;
    case ipc::Envelope::kPredictResult:
      OnPredictResult(gen, *envelope.mutable_predict_result());
      return;
    case ipc::Envelope::kPredictPartial:
      OnPredictPartial(gen, *envelope.mutable_predict_partial());
      return;
    default:
      OnProcessFailure(gen, "protocol error: unexpected message " + std::to_string(envelope.message_case()));
  }
}

void Worker::OnLoadResult(uint64_t gen, const ipc::LoadModelResult& result) {
  CancelTimer();
  load_reported_ = true;
  auto listener = listener_.lock();
  if (result.ok()) {
    {
      MutexLock lock(mu_);
      SetState(retiring_ ? WorkerState::kStopping : WorkerState::kReady);
      signature_json_ = result.signature_json();
    }
    backoff_.OnSuccess();
    HLOG_INFO("{}: model loaded in {} ms with {} intra-op threads", options_.name, result.load_time_ms(),
              result.intra_op_threads());
    if (options_.metrics) {
      options_.metrics->RecordWorkerLoad(options_.name, MicrosBetween(spawned_at_, timers_.Now()) / 1e3);
    }
    RecordHandlerMetrics(result.metrics());
    if (listener) listener->OnWorkerLoadResult(shared_from_this(), Status::Ok());
    NotifyStateChanged();
    if (retiring_) {
      SendShutdown();
      ArmTimer(std::chrono::seconds(10), TimerReason::kStop);
      return;
    }
    if (listener) listener->OnWorkerIdle(shared_from_this());
    return;
  }
  Status error(StatusCodeFromInt(result.status_code()), result.message());
  HLOG_ERROR("{}: model load failed: {}", options_.name, result.message());
  if (listener) listener->OnWorkerLoadResult(shared_from_this(), error);
  if (!result.retryable()) {
    // The same load would fail again: stop for good.
    retiring_ = true;
    failure_reason_ = result.message();
    SendShutdown();
    ArmTimer(std::chrono::seconds(5), TimerReason::kStop);
    SetStateAndNotify(WorkerState::kFailed);
    return;
  }
  OnProcessFailure(gen, "model load failed: " + result.message());
}

bool Worker::AnswersBatchInFlight(uint64_t gen, uint64_t batch_id, const char* what) {
  if (state() == WorkerState::kBusy && batch_id == in_flight_batch_id_) return true;
  OnProcessFailure(gen, std::string("protocol error: ") + what + " to batch " + std::to_string(batch_id) +
                            (in_flight_batch_id_ ? " while batch " + std::to_string(in_flight_batch_id_) +
                                                       " is in flight"
                                                 : " while no batch is in flight"));
  return false;
}

void Worker::OnPredictPartial(uint64_t gen, ipc::PredictPartial& partial) {
  if (!AnswersBatchInFlight(gen, partial.batch_id(), "an intermediate answer")) return;
  for (auto& response : *partial.mutable_responses()) {
    Job* job = nullptr;
    for (const auto& j : in_flight_) {
      if (j->request.request_id == response.request_id()) job = j.get();
    }
    if (!job) {
      OnProcessFailure(gen, "protocol error: an intermediate answer to request " + response.request_id() +
                                ", which is not in batch " + std::to_string(in_flight_batch_id_));
      return;
    }
    InferenceResponse part = ToResponse(response, options_.max_response_size);
    if (!part.status.ok()) continue;  // a failed part: the final answer says what went wrong
    if (job->request.on_partial) {
      part.queue_time_us = MicrosBetween(job->arrival, job->dequeued);
      part.inference_time_us = MicrosBetween(batch_sent_, timers_.Now());
      // On this strand, so every part is handed on before the final answer.
      job->request.on_partial(std::move(part));
    } else {
      job->joined_parts += part.body;
    }
  }
  // A streaming handler is alive while it sends: each part restarts the clock.
  ArmTimer(std::chrono::seconds(options_.response_timeout_s), TimerReason::kResponse);
}

void Worker::OnPredictResult(uint64_t gen, ipc::PredictResult& result) {
  if (!AnswersBatchInFlight(gen, result.batch_id(), "an answer")) return;
  CancelTimer();
  const SteadyTime now = timers_.Now();
  const long long inference_us = MicrosBetween(batch_sent_, now);
  if (options_.metrics) {
    BatchTimings timings;
    timings.round_trip_ms = inference_us / 1e3;
    timings.prediction_ms = result.prediction_us() / 1e3;
    timings.preprocess_ms = result.preprocess_us() / 1e3;
    timings.forward_ms = result.inference_us() / 1e3;
    timings.postprocess_ms = result.postprocess_us() / 1e3;
    timings.handler_ms = timings.preprocess_ms + timings.forward_ms + timings.postprocess_ms;
    for (const auto& job : in_flight_) {
      const long long queue_us = MicrosBetween(job->arrival, job->dequeued);
      options_.metrics->queue_time.Observe(queue_us / 1e6);
      options_.metrics->latency.Observe(MicrosBetween(job->arrival, now) / 1e6);
      timings.queue_ms = queue_us / 1e3;
      if (!timings.request_ids.empty()) timings.request_ids += ',';
      timings.request_ids += job->request.request_id;
    }
    options_.metrics->RecordBatch(timings);
    RecordHandlerMetrics(result.metrics());
  }
  auto jobs = std::make_shared<std::vector<JobPtr>>(std::move(in_flight_));
  in_flight_.clear();
  in_flight_batch_id_ = 0;
  auto answers = std::make_shared<std::vector<InferenceResponse>>();
  answers->reserve(jobs->size());
  for (size_t i = 0; i < jobs->size(); ++i) {
    InferenceResponse r;
    if (static_cast<int>(i) < result.responses_size()) {
      r = ToResponse(*result.mutable_responses(static_cast<int>(i)), options_.max_response_size);
    } else {
      r.status = Internal("worker returned " + std::to_string(result.responses_size()) + " responses for " +
                          std::to_string(jobs->size()) + " requests");
    }
    if (!(*jobs)[i]->joined_parts.empty() && r.status.ok()) r.body.insert(0, (*jobs)[i]->joined_parts);
    r.queue_time_us = MicrosBetween((*jobs)[i]->arrival, (*jobs)[i]->dequeued);
    r.inference_time_us = inference_us;
    answers->push_back(std::move(r));
  }
  // Idle first, so the next batch is sent (from inside OnWorkerIdle) before
  // this one's answers are formatted and written.
  if (retiring_) {
    SendShutdown();
    ArmTimer(std::chrono::seconds(10), TimerReason::kStop);
    SetStateAndNotify(WorkerState::kStopping);
  } else {
    {
      MutexLock lock(mu_);
      SetState(WorkerState::kReady);
    }
    if (auto listener = listener_.lock()) listener->OnWorkerIdle(shared_from_this());
  }
  asio::dispatch(io_, [jobs, answers] {
    for (size_t i = 0; i < jobs->size(); ++i) (*jobs)[i]->done(std::move((*answers)[i]));
  });
}

void Worker::Dispatch(std::vector<JobPtr> batch) {
  // dispatch, not post: on an I/O thread with the strand free (a request
  // just read, or this worker's previous answer just handled) the batch is
  // written at once rather than after one more turn of the event loop.
  asio::dispatch(strand_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    bool ready;
    {
      MutexLock lock(self->mu_);
      ready = self->state_ == WorkerState::kReady && self->socket_ && !self->failing_ && !self->retiring_;
      if (ready) self->SetState(WorkerState::kBusy);
    }
    if (!ready) {
      if (auto listener = self->listener_.lock()) listener->OnBatchReturned(self, std::move(batch));
      return;
    }
    ipc::Envelope envelope;
    auto* predict = envelope.mutable_predict();
    self->in_flight_batch_id_ = self->next_batch_id_++;
    predict->set_batch_id(self->in_flight_batch_id_);
    for (auto& job : batch) {
      auto* req = predict->add_requests();
      req->set_request_id(job->request.request_id);
      for (auto& input : job->request.inputs) {
        auto* in = req->add_inputs();
        // Protobuf strings must be UTF-8 (a worker cannot even parse a
        // frame that breaks this): form field names and headers are
        // decoded as Netty decodes them, bad bytes as U+FFFD.
        in->set_name(ToValidUtf8(std::move(input.name)));
        in->set_content_type(ToValidUtf8(std::move(input.content_type)));
        in->set_value(std::move(input.value));
      }
      for (const auto& [k, v] : job->request.headers) (*req->mutable_headers())[ToValidUtf8(k)] = ToValidUtf8(v);
    }
    self->in_flight_ = std::move(batch);
    self->batch_sent_ = self->timers_.Now();
    self->Send(std::move(envelope));
    self->ArmTimer(std::chrono::seconds(self->options_.response_timeout_s), TimerReason::kResponse);
  });
}

bool Worker::StopIfWaitingToRestart() {
  if (state() != WorkerState::kRestartWait) return false;
  timers_.Cancel(restart_timer_id_);
  SetStateAndNotify(WorkerState::kStopped);
  return true;
}

void Worker::Retire() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->retiring_) return;
    self->retiring_ = true;
    if (self->StopIfWaitingToRestart()) return;
    const WorkerState s = self->state();
    if (s == WorkerState::kStarting || s == WorkerState::kReady) {
      self->SendShutdown();
      self->ArmTimer(std::chrono::seconds(10), TimerReason::kStop);
      self->SetStateAndNotify(WorkerState::kStopping);
    }
    // kBusy: the batch completes first (see OnPredictResult).
  });
}

void Worker::Kill() {
  asio::post(strand_, [self = shared_from_this()] {
    self->retiring_ = true;
    if (self->StopIfWaitingToRestart()) return;
    const WorkerState s = self->state();
    if (s != WorkerState::kStopped && s != WorkerState::kFailed) self->KillProcess();
  });
}

void Worker::SetThreads(int intra_op_threads, std::vector<int> cpu_list) {
  if (options_.pinned) return;  // the launcher's placement decides
  asio::post(strand_, [self = shared_from_this(), intra_op_threads, cpu_list = std::move(cpu_list)] {
    bool changed;
    {
      MutexLock lock(self->mu_);
      changed = self->intra_op_threads_ != intra_op_threads;
      self->intra_op_threads_ = intra_op_threads;
      self->cpu_list_ = cpu_list;
    }
    const WorkerState s = self->state();
    if (changed && self->socket_ && (s == WorkerState::kReady || s == WorkerState::kBusy)) {
      ipc::Envelope e;
      e.mutable_set_threads()->set_intra_op_threads(intra_op_threads);
      self->Send(std::move(e));
    }
  });
}

void Worker::OnProcessFailure(uint64_t gen, const std::string& reason) {
  if (gen != generation_ || failing_) return;
  if (IsFinal()) {  // a stopped or failed slot only tidies up
    CloseChannels();
    return;
  }
  failing_ = true;
  failure_reason_ = reason;
  CancelTimer();
  if (exit_status_) {
    FinishFailure(reason, Death::kFailed);
    return;
  }
  // Wait briefly for the exit status (it tells an OOM kill apart), then kill.
  ArmTimer(std::chrono::milliseconds(500), TimerReason::kExitGrace);
}

void Worker::OnProcessExit(uint64_t gen, int wait_status) {
  if (gen != generation_) return;
  exit_status_ = wait_status;
  CancelTimer();
  const std::string how = DescribeWaitStatus(wait_status);
  if (IsFinal()) {
    CloseChannels();
    HLOG_INFO("{}: worker process exited ({})", options_.name, how);
    return;
  }
  if (retiring_ && in_flight_.empty()) {
    CloseChannels();
    HLOG_INFO("{}: worker stopped ({})", options_.name, how);
    SetStateAndNotify(WorkerState::kStopped);
    return;
  }
  const bool oom = WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL && !killed_by_us_;
  std::string reason = failing_ ? failure_reason_ + "; process " + how : "process " + how;
  failing_ = true;
  FinishFailure(reason, oom ? Death::kKilledByKernel : Death::kFailed);
}

void Worker::CloseChannels() {
  boost::system::error_code ignored;
  if (socket_) socket_->close(ignored);
  socket_.reset();
  // The pipes are drained by their readers until EOF; closing our ends now
  // would lose the last lines the worker printed, so only drop them when the
  // next process replaces them.
  write_queue_.clear();
}

void Worker::FinishFailure(const std::string& reason, Death death) {
  const bool oom_killed = death == Death::kKilledByKernel;
  CancelTimer();
  CloseChannels();
  if (IsFinal()) return;
  const Status died = oom_killed ? Status(StatusCode::kResourceExhausted, "Worker died.") : Internal("Worker died.");
  if (!in_flight_.empty()) {
    HLOG_ERROR("{}: {} request(s) failed: worker died ({})", options_.name, in_flight_.size(), reason);
  }
  auto jobs = std::make_shared<std::vector<JobPtr>>(std::move(in_flight_));
  in_flight_.clear();
  in_flight_batch_id_ = 0;
  if (!jobs->empty()) {
    asio::post(io_, [jobs, died] {
      for (auto& job : *jobs) job->Fail(died);
    });
  }
  if (!load_reported_) {
    load_reported_ = true;
    if (auto listener = listener_.lock()) {
      listener->OnWorkerLoadResult(shared_from_this(), Internal("worker failed while loading the model: " + reason));
    }
  }
  if (retiring_) {
    SetStateAndNotify(WorkerState::kStopped);
    return;
  }
  auto delay = backoff_.OnFailure(timers_.Now());
  if (!delay) {
    HLOG_ERROR("{}: worker died ({}); it has been failing for more than {} s, giving up", options_.name, reason,
               options_.max_retry_timeout_s);
    SetStateAndNotify(WorkerState::kFailed);
    return;
  }
  {
    MutexLock lock(mu_);
    SetState(WorkerState::kRestartWait);
    ++restarts_;
  }
  HLOG_WARN("{}: worker died ({}); restarting in {} s", options_.name, reason, delay->count() / 1000);
  std::weak_ptr<Worker> weak = weak_from_this();
  auto strand = strand_;
  restart_timer_id_ = timers_.After(*delay, [weak, strand] {
    asio::post(strand, [weak] {
      auto self = weak.lock();
      if (!self || self->retiring_ || self->state() != WorkerState::kRestartWait) return;
      self->SpawnProcess();
    });
  });
  NotifyStateChanged();
}

}  // namespace hearth::core
