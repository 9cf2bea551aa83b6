#include "tools/bench/grpc_load.h"

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "frontend/kserve/v2_protocol.h"
#include "kserve/grpc_predict_v2.grpc.pb.h"

namespace hearth::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Poisson arrival times (seconds after the measured phase begins), drawn as
// they are needed. Thread-safe.
class ArrivalSchedule {
 public:
  explicit ArrivalSchedule(double rate) : gap_(rate > 0 ? rate : 1.0) {}
  double At(int64_t k) {
    std::lock_guard lock(mu_);
    while (static_cast<int64_t>(offsets_.size()) <= k) offsets_.push_back(last_ += gap_(rng_));
    return offsets_[static_cast<size_t>(k)];
  }

 private:
  std::mutex mu_;
  std::mt19937_64 rng_{12345};  // fixed seed: the same schedule every run
  std::exponential_distribution<double> gap_;
  std::vector<double> offsets_;
  double last_ = 0;
};

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

}  // namespace

StatusOr<LoadResult> RunGrpcLoad(const GrpcLoadSpec& spec, const ProgressFn& progress) {
  ASSIGN_OR_RETURN(kserve::InferRequest parsed, kserve::ParseHttpInferRequest(spec.v2_body, spec.v2_header_length));
  inference::ModelInferRequest request;
  request.set_model_name(spec.model);
  request.set_model_version(spec.version);
  for (const auto& t : parsed.inputs) {
    auto* in = request.add_inputs();
    in->set_name(t.name);
    in->set_datatype(ipc::DataTypeName(t.datatype));
    for (int64_t d : t.shape) in->add_shape(d);
    request.add_raw_input_contents(t.data);
  }
  for (const auto& o : parsed.outputs) request.add_outputs()->set_name(o.name);

  const int64_t total = spec.requests > 0 ? spec.warmup_requests + spec.requests : -1;
  const bool open_loop = spec.rate_per_s > 0;
  ArrivalSchedule schedule(spec.rate_per_s);
  std::atomic<int64_t> issued{0}, answered{0}, failed{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  LoadResult result;
  Clock::time_point measure_begin{};
  double cpu_begin = 0;
  std::atomic<bool> measuring{false};
  std::mutex begin_mu;

  auto begin_measuring = [&] {
    std::lock_guard lock(begin_mu);
    if (measuring) return;
    measure_begin = Clock::now();
    cpu_begin = CpuSeconds();
    measuring = true;
  };
  if (spec.warmup_requests == 0) begin_measuring();

  // One connection per client thread, as the HTTP generator's keep-alive connections.
  std::vector<std::thread> threads;
  Status first_error = Status::Ok();
  for (int i = 0; i < spec.concurrency; ++i) {
    threads.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("hearth.bench.client", i);  // distinct args: distinct connection
      args.SetMaxReceiveMessageSize(-1);
      auto channel = grpc::CreateCustomChannel(spec.target, grpc::InsecureChannelCredentials(), args);
      auto stub = inference::GRPCInferenceService::NewStub(channel);
      inference::ModelInferResponse response;
      while (!stop) {
        int64_t n = issued++;
        if (total >= 0 && n >= total) break;
        const bool measured = n >= spec.warmup_requests;
        auto start = Clock::now();
        if (open_loop && measured) {
          // Wait for the warm-up to finish, then for this request's arrival.
          while (!measuring && !stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          if (stop) break;
          const auto arrival = measure_begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                                   schedule.At(n - spec.warmup_requests)));
          std::this_thread::sleep_until(arrival);
          if (stop) break;
          start = arrival;  // late starts (every thread busy) count as queueing
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
        if (!spec.authorization.empty()) ctx.AddMetadata("authorization", spec.authorization);
        grpc::Status st = stub->ModelInfer(&ctx, request, &response);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (!measured) {
          if (n + 1 == spec.warmup_requests) begin_measuring();
          continue;
        }
        answered++;
        std::lock_guard lock(mu);
        result.latencies_ms.push_back(ms);
        if (st.ok()) {
          result.ok++;
        } else {
          failed++;
          result.errors_by_status[st.error_code()]++;
          if (st.error_code() == grpc::StatusCode::UNAVAILABLE) result.transport_errors++;
          if (first_error.ok()) first_error = Unavailable(st.error_message());
        }
      }
    });
  }
  const auto start = Clock::now();
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (progress) progress(answered.load(), failed.load(), seconds);
    if (spec.duration_s > 0 && measuring &&
        std::chrono::duration<double>(Clock::now() - measure_begin).count() >= spec.duration_s) {
      stop = true;
    }
    if (total >= 0 && issued.load() >= total) break;
    if (stop) break;
  }
  for (auto& t : threads) t.join();
  if (!measuring) begin_measuring();
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - measure_begin).count();
  result.cpu_user_s = CpuSeconds() - cpu_begin;  // user + system together
  result.cpu_sys_s = 0;
  if (result.ok == 0 && !first_error.ok()) return first_error.WithPrefix("every gRPC call failed");
  return result;
}

}  // namespace hearth::bench
