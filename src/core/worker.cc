#include "core/worker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>

#include "common/logging.h"
#include "core/process.h"
#include "ipc/framing.h"

namespace hearth::core {
namespace asio = boost::asio;

const char* WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting: return "STARTING";
    case WorkerState::kReady: return "READY";
    case WorkerState::kBusy: return "READY";  // TorchServe reports a busy worker as READY
    case WorkerState::kRestartWait: return "UNLOADING";
    case WorkerState::kStopping: return "UNLOADING";
    case WorkerState::kStopped: return "STOPPED";
    case WorkerState::kFailed: return "FAILED";
  }
  return "UNKNOWN";
}

Worker::Worker(asio::io_context& io, WorkerOptions options, std::weak_ptr<WorkerListener> listener)
    : io_(io),
      strand_(asio::make_strand(io)),
      options_(std::move(options)),
      listener_(std::move(listener)),
      timer_(strand_),
      restart_timer_(strand_),
      backoff_(options_.max_retry_timeout_s) {
  intra_op_threads_ = options_.intra_op_threads;
  cpu_list_ = options_.cpu_list;
}

Worker::~Worker() {
  if (pid_ > 0 && (state_ == WorkerState::kStarting || state_ == WorkerState::kReady ||
                   state_ == WorkerState::kBusy || state_ == WorkerState::kStopping)) {
    ::kill(pid_, SIGKILL);
  }
}

void Worker::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->SpawnProcess(); });
}

WorkerState Worker::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

bool Worker::IsLive() const {
  WorkerState s = state();
  return s == WorkerState::kStarting || s == WorkerState::kReady || s == WorkerState::kBusy;
}

bool Worker::IsActive() const { return IsLive() || state() == WorkerState::kRestartWait; }

bool Worker::IsLoaded() const {
  WorkerState s = state();
  return s == WorkerState::kReady || s == WorkerState::kBusy;
}

std::string Worker::signature_json() const {
  std::lock_guard lock(mu_);
  return signature_json_;
}

WorkerSnapshot Worker::Snapshot() const {
  WorkerSnapshot s;
  {
    std::lock_guard lock(mu_);
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

void Worker::SetState(WorkerState state) { state_ = state; }

void Worker::RecordHandlerMetrics(const google::protobuf::RepeatedPtrField<ipc::HandlerMetric>& metrics) {
  for (const auto& m : metrics) {
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
    options_.metrics->RecordHandlerMetric(sample);
  }
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

  int sv[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    HLOG_ERROR("{}: cannot create worker channels: {}", options_.name, strerror(errno));
    FinishFailure("cannot create worker channels", false);
    return;
  }
  // The CPU launcher's lines, in the IPEX launcher's format, as TorchServe
  // shows them (its launcher writes to the worker's stderr).
  for (const auto& [level, text] : options_.launcher_log) {
    auto now = std::chrono::system_clock::now();
    std::time_t secs = std::chrono::system_clock::to_time_t(now);
    std::tm tm;
    localtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    long ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
    char line_start[48];
    std::snprintf(line_start, sizeof(line_start), "%s,%03ld", stamp, ms);
    logging::Model(spdlog::level::warn, options_.name + "-stderr",
                   std::string(line_start) + " - __main__ - " + level + " - " + text);
  }
  SpawnOptions spawn;
  HEARTH_CHECK(!options_.command.empty());
  spawn.binary = options_.command.front();
  spawn.args.assign(options_.command.begin() + 1, options_.command.end());
  for (const char* arg : {"--ipc-fd", "3", "--name"}) spawn.args.emplace_back(arg);
  spawn.args.push_back(options_.name);
  spawn.env = options_.env;
  spawn.fds = {{1, out[1]}, {2, err[1]}, {3, sv[1]}};
  spawned_at_ = RealClock::Get().Now();
  auto pid = hearth::core::SpawnProcess(spawn);
  ::close(sv[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (!pid.ok()) {
    ::close(sv[0]);
    ::close(out[0]);
    ::close(err[0]);
    HLOG_ERROR("{}: {}", options_.name, pid.status().message());
    FinishFailure(pid.status().message(), false);
    return;
  }
  socket_ = std::make_unique<Socket>(strand_, asio::local::stream_protocol(), sv[0]);
  stdout_pipe_ = std::make_unique<Pipe>(strand_, out[0]);
  stderr_pipe_ = std::make_unique<Pipe>(strand_, err[0]);
  {
    std::lock_guard lock(mu_);
    pid_ = *pid;
    start_time_ = std::chrono::system_clock::now();
    SetState(WorkerState::kStarting);
  }
  HLOG_INFO("{}: started worker process {}", options_.name, *pid);
  std::weak_ptr<Worker> weak = weak_from_this();
  auto strand = strand_;
  ChildReaper::Get().Watch(*pid, [weak, strand, gen](int st) {
    asio::post(strand, [weak, gen, st] {
      if (auto self = weak.lock()) self->OnProcessExit(gen, st);
    });
  });
  ReadHeader(gen);
  ReadLog(gen, stdout_pipe_.get(), std::make_shared<asio::streambuf>(), false);
  ReadLog(gen, stderr_pipe_.get(), std::make_shared<asio::streambuf>(), true);
  ArmTimer(std::chrono::seconds(options_.startup_timeout_s), gen, "startup");
  NotifyStateChanged();
}

void Worker::ArmTimer(std::chrono::milliseconds after, uint64_t gen, const char* reason) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), gen, reason](const boost::system::error_code& ec) {
    if (ec || gen != self->generation_) return;
    if (std::string(reason) == "grace") {
      // The connection broke but the process did not exit: make sure it does.
      self->killed_by_us_ = true;
      if (self->pid_ > 0) ::kill(self->pid_, SIGKILL);
      return;
    }
    if (std::string(reason) == "stop") {
      self->killed_by_us_ = true;
      if (self->pid_ > 0) ::kill(self->pid_, SIGKILL);
      return;
    }
    self->killed_by_us_ = true;
    if (self->pid_ > 0) ::kill(self->pid_, SIGKILL);
    self->OnProcessFailure(gen, std::string(reason) + " timeout");
  });
}

void Worker::ReadHeader(uint64_t gen) {
  read_buffer_.resize(ipc::kFrameHeaderBytes);
  asio::async_read(*socket_, asio::buffer(read_buffer_),
                   [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                     if (gen != self->generation_) return;
                     if (ec) {
                       self->OnProcessFailure(gen, ec == asio::error::eof ? "connection closed by the worker"
                                                                         : "read error: " + ec.message());
                       return;
                     }
                     uint32_t length = ipc::DecodeFrameLength(self->read_buffer_.data());
                     if (length > ipc::kMaxFrameBytes) {
                       self->OnProcessFailure(gen, "protocol error: frame too large");
                       return;
                     }
                     self->ReadPayload(gen, length);
                   });
}

void Worker::ReadPayload(uint64_t gen, uint32_t length) {
  read_buffer_.resize(length);
  asio::async_read(*socket_, asio::buffer(read_buffer_),
                   [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                     if (gen != self->generation_) return;
                     if (ec) {
                       self->OnProcessFailure(gen, "read error: " + ec.message());
                       return;
                     }
                     auto envelope = ipc::DecodePayload(self->read_buffer_.data(), self->read_buffer_.size());
                     if (!envelope.ok()) {
                       self->OnProcessFailure(gen, envelope.status().message());
                       return;
                     }
                     self->OnMessage(gen, std::move(*envelope));
                     if (gen == self->generation_ && self->socket_) self->ReadHeader(gen);
                   });
}

void Worker::ReadLog(uint64_t gen, Pipe* pipe, std::shared_ptr<asio::streambuf> buffer, bool is_stderr) {
  asio::async_read_until(
      *pipe, *buffer, '\n',
      [self = shared_from_this(), gen, pipe, buffer, is_stderr](const boost::system::error_code& ec, size_t n) {
        if (gen != self->generation_) return;
        std::string source = self->options_.name + (is_stderr ? "-stderr" : "-stdout");
        if (ec) {
          // EOF: flush a last partial line.
          if (buffer->size() > 0) {
            std::string rest(asio::buffers_begin(buffer->data()), asio::buffers_end(buffer->data()));
            logging::Model(is_stderr ? spdlog::level::warn : spdlog::level::info, source, rest);
          }
          return;
        }
        std::string line(asio::buffers_begin(buffer->data()), asio::buffers_begin(buffer->data()) + n - 1);
        buffer->consume(n);
        logging::Model(is_stderr ? spdlog::level::warn : spdlog::level::info, source, line);
        self->ReadLog(gen, pipe, buffer, is_stderr);
      });
}

void Worker::Send(ipc::Envelope envelope) {
  write_queue_.push_back(ipc::EncodeFrame(envelope));
  if (write_queue_.size() == 1) WriteNext();
}

void Worker::WriteNext() {
  if (write_queue_.empty() || !socket_) return;
  const uint64_t gen = generation_;
  asio::async_write(*socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                      if (gen != self->generation_) return;
                      if (ec) {
                        self->OnProcessFailure(gen, "write error: " + ec.message());
                        return;
                      }
                      self->write_queue_.pop_front();
                      self->WriteNext();
                    });
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
        std::lock_guard lock(mu_);
        load.mutable_load_model()->set_intra_op_threads(intra_op_threads_);
        load.mutable_load_model()->clear_cpu_list();
        for (int c : cpu_list_) load.mutable_load_model()->add_cpu_list(c);
      }
      Send(std::move(load));
      return;
    }
    case ipc::Envelope::kLoadModelResult: {
      const auto& result = envelope.load_model_result();
      timer_.cancel();
      load_reported_ = true;
      auto listener = listener_.lock();
      if (result.ok()) {
        {
          std::lock_guard lock(mu_);
          SetState(retiring_ ? WorkerState::kStopping : WorkerState::kReady);
          signature_json_ = result.signature_json();
        }
        backoff_.OnSuccess();
        loaded_once_ = true;
        HLOG_INFO("{}: model loaded in {} ms with {} intra-op threads", options_.name, result.load_time_ms(),
                  result.intra_op_threads());
        if (options_.metrics) {
          options_.metrics->RecordWorkerLoad(options_.name, MicrosBetween(spawned_at_, RealClock::Get().Now()) / 1e3);
          RecordHandlerMetrics(result.metrics());
        }
        if (listener) listener->OnWorkerLoadResult(shared_from_this(), Status::Ok());
        NotifyStateChanged();
        if (retiring_) {
          Send([] { ipc::Envelope e; e.mutable_shutdown(); return e; }());
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
        {
          std::lock_guard lock(mu_);
          SetState(WorkerState::kFailed);
        }
        Send([] { ipc::Envelope e; e.mutable_shutdown(); return e; }());
        ArmTimer(std::chrono::seconds(5), gen, "stop");
        NotifyStateChanged();
        return;
      }
      OnProcessFailure(gen, "model load failed: " + result.message());
      return;
    }
    case ipc::Envelope::kPredictResult: {
      timer_.cancel();
      auto& result = *envelope.mutable_predict_result();
      const SteadyTime now = RealClock::Get().Now();
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
      for (size_t i = 0; i < in_flight_.size(); ++i) {
        InferenceResponse r;
        r.queue_time_us = MicrosBetween(in_flight_[i]->arrival, in_flight_[i]->dequeued);
        r.inference_time_us = inference_us;
        if (static_cast<int>(i) < result.responses_size()) {
          auto& resp = *result.mutable_responses(static_cast<int>(i));
          r.http_status = resp.http_status();
          if (resp.status_code() != 0) {
            r.status = Status(StatusCodeFromInt(resp.status_code()), resp.message());
          } else if (static_cast<int64_t>(resp.body().size()) > options_.max_response_size) {
            r.status = Internal("response of " + std::to_string(resp.body().size()) +
                                " bytes exceeds max_response_size (" + std::to_string(options_.max_response_size) +
                                ")");
          } else {
            r.body = std::move(*resp.mutable_body());
            r.content_type = resp.content_type();
            for (const auto& [k, v] : resp.headers()) r.headers.emplace_back(k, v);
          }
        } else {
          r.status = Internal("worker returned " + std::to_string(result.responses_size()) + " responses for " +
                              std::to_string(in_flight_.size()) + " requests");
        }
        in_flight_[i]->done(std::move(r));
      }
      in_flight_.clear();
      if (retiring_) {
        {
          std::lock_guard lock(mu_);
          SetState(WorkerState::kStopping);
        }
        Send([] { ipc::Envelope e; e.mutable_shutdown(); return e; }());
        ArmTimer(std::chrono::seconds(10), gen, "stop");
        NotifyStateChanged();
        return;
      }
      {
        std::lock_guard lock(mu_);
        SetState(WorkerState::kReady);
      }
      if (auto listener = listener_.lock()) listener->OnWorkerIdle(shared_from_this());
      return;
    }
    default:
      OnProcessFailure(gen, "protocol error: unexpected message " + std::to_string(envelope.message_case()));
  }
}

void Worker::Dispatch(std::vector<JobPtr> batch) {
  asio::post(strand_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    bool ready;
    {
      std::lock_guard lock(self->mu_);
      ready = self->state_ == WorkerState::kReady && self->socket_ && !self->failing_ && !self->retiring_;
      if (ready) self->SetState(WorkerState::kBusy);
    }
    if (!ready) {
      if (auto listener = self->listener_.lock()) listener->OnBatchReturned(self, std::move(batch));
      return;
    }
    ipc::Envelope envelope;
    auto* predict = envelope.mutable_predict();
    predict->set_batch_id(self->next_batch_id_++);
    for (auto& job : batch) {
      auto* req = predict->add_requests();
      req->set_request_id(job->request.request_id);
      for (auto& input : job->request.inputs) {
        auto* in = req->add_inputs();
        in->set_name(input.name);
        in->set_content_type(input.content_type);
        in->set_value(std::move(input.value));
      }
      for (const auto& [k, v] : job->request.headers) (*req->mutable_headers())[k] = v;
    }
    self->in_flight_ = std::move(batch);
    self->batch_sent_ = RealClock::Get().Now();
    self->Send(std::move(envelope));
    self->ArmTimer(std::chrono::seconds(self->options_.response_timeout_s), self->generation_, "response");
  });
}

void Worker::Retire() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->retiring_) return;
    self->retiring_ = true;
    WorkerState s = self->state();
    if (s == WorkerState::kRestartWait) {
      self->restart_timer_.cancel();
      {
        std::lock_guard lock(self->mu_);
        self->SetState(WorkerState::kStopped);
      }
      self->NotifyStateChanged();
      return;
    }
    if (s == WorkerState::kStarting || s == WorkerState::kReady) {
      {
        std::lock_guard lock(self->mu_);
        self->SetState(WorkerState::kStopping);
      }
      if (self->socket_) {
        self->Send([] { ipc::Envelope e; e.mutable_shutdown(); return e; }());
      }
      self->ArmTimer(std::chrono::seconds(10), self->generation_, "stop");
      self->NotifyStateChanged();
    }
    // kBusy: the batch completes first (see kPredictResult).
  });
}

void Worker::Kill() {
  asio::post(strand_, [self = shared_from_this()] {
    self->retiring_ = true;
    WorkerState s = self->state();
    if (s == WorkerState::kRestartWait) {
      self->restart_timer_.cancel();
      {
        std::lock_guard lock(self->mu_);
        self->SetState(WorkerState::kStopped);
      }
      self->NotifyStateChanged();
      return;
    }
    if (s != WorkerState::kStopped && s != WorkerState::kFailed && self->pid_ > 0 && !self->exit_status_) {
      self->killed_by_us_ = true;
      ::kill(self->pid_, SIGKILL);
    }
  });
}

void Worker::SetThreads(int intra_op_threads, std::vector<int> cpu_list) {
  if (options_.pinned) return;  // the launcher's placement decides
  asio::post(strand_, [self = shared_from_this(), intra_op_threads, cpu_list = std::move(cpu_list)] {
    bool changed;
    {
      std::lock_guard lock(self->mu_);
      changed = self->intra_op_threads_ != intra_op_threads;
      self->intra_op_threads_ = intra_op_threads;
      self->cpu_list_ = cpu_list;
    }
    WorkerState s = self->state();
    if (changed && self->socket_ && (s == WorkerState::kReady || s == WorkerState::kBusy)) {
      ipc::Envelope e;
      e.mutable_set_threads()->set_intra_op_threads(intra_op_threads);
      self->Send(std::move(e));
    }
  });
}

void Worker::OnProcessFailure(uint64_t gen, const std::string& reason) {
  if (gen != generation_ || failing_) return;
  failing_ = true;
  failure_reason_ = reason;
  timer_.cancel();
  if (exit_status_) {
    FinishFailure(reason, false);
    return;
  }
  // Wait briefly for the exit status (it tells an OOM kill apart), then kill.
  ArmTimer(std::chrono::milliseconds(500), gen, "grace");
}

void Worker::OnProcessExit(uint64_t gen, int wait_status) {
  if (gen != generation_) return;
  exit_status_ = wait_status;
  timer_.cancel();
  const std::string how = DescribeWaitStatus(wait_status);
  WorkerState s = state();
  if (s == WorkerState::kFailed) {
    CloseChannels();
    HLOG_INFO("{}: worker process exited ({})", options_.name, how);
    return;
  }
  if (retiring_ && in_flight_.empty()) {
    CloseChannels();
    {
      std::lock_guard lock(mu_);
      SetState(WorkerState::kStopped);
    }
    HLOG_INFO("{}: worker stopped ({})", options_.name, how);
    NotifyStateChanged();
    return;
  }
  const bool oom = WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL && !killed_by_us_;
  std::string reason = failing_ ? failure_reason_ + "; process " + how : "process " + how;
  failing_ = true;
  FinishFailure(reason, oom);
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

void Worker::FinishFailure(const std::string& reason, bool oom_killed) {
  timer_.cancel();
  CloseChannels();
  const Status died = oom_killed ? Status(StatusCode::kResourceExhausted, "Worker died.")
                                 : Internal("Worker died.");
  if (!in_flight_.empty()) {
    HLOG_ERROR("{}: {} request(s) failed: worker died ({})", options_.name, in_flight_.size(), reason);
  }
  for (auto& job : in_flight_) job->Fail(died);
  in_flight_.clear();
  if (!load_reported_) {
    load_reported_ = true;
    if (auto listener = listener_.lock()) {
      listener->OnWorkerLoadResult(shared_from_this(), Internal("worker failed while loading the model: " + reason));
    }
  }
  if (retiring_) {
    {
      std::lock_guard lock(mu_);
      SetState(WorkerState::kStopped);
    }
    NotifyStateChanged();
    return;
  }
  auto delay = backoff_.OnFailure(RealClock::Get().Now());
  if (!delay) {
    {
      std::lock_guard lock(mu_);
      SetState(WorkerState::kFailed);
    }
    HLOG_ERROR("{}: worker died ({}); it has been failing for more than {} s, giving up", options_.name, reason,
               options_.max_retry_timeout_s);
    NotifyStateChanged();
    return;
  }
  {
    std::lock_guard lock(mu_);
    SetState(WorkerState::kRestartWait);
    ++restarts_;
  }
  HLOG_WARN("{}: worker died ({}); restarting in {} s", options_.name, reason, delay->count() / 1000);
  restart_timer_.expires_after(*delay);
  restart_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->retiring_) return;
    self->SpawnProcess();
  });
  NotifyStateChanged();
}

}  // namespace hearth::core
