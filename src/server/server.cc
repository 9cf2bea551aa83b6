#include "server/server.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <atomic>
#include <filesystem>
#include <thread>

#include "common/logging.h"
#include "common/strings.h"
#include "config/metrics_config.h"
#include "core/asio_timers.h"
#include "core/request_policy.h"
#include "core/host_stats.h"
#include "core/metrics.h"
#include "core/model_manager.h"
#include "core/process.h"
#include "frontend/grpc/grpc_server.h"
#include "frontend/http/api_router.h"
#include "frontend/http/http_server.h"
#include "security/token_authority.h"
#include "server/pid_file.h"
#include "server/snapshot.h"
#include "workflow/workflow_manager.h"

namespace hearth::server {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::map<std::string, core::HandlerMetricDefinition> HandlerMetricDefinitions(const config::MetricsDefinitions& d) {
  std::map<std::string, core::HandlerMetricDefinition> out;
  for (const auto& [name, type] : d.model_metric_types) {
    core::HandlerMetricDefinition def;
    def.kind = type == "gauge"       ? core::MetricKind::kGauge
               : type == "histogram" ? core::MetricKind::kHistogram
                                     : core::MetricKind::kCounter;
    auto unit = d.units.find(name);
    if (unit != d.units.end()) def.unit = unit->second;
    out[name] = def;
  }
  return out;
}

// Points stdout and stderr at <log_dir>/hearth_console.log, so that a caller
// reading them (`hearth --start | cat`, `$(hearth --start)`) sees them close.
void DetachConsole(const std::string& log_dir) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  const std::string path = (std::filesystem::path(log_dir) / "hearth_console.log").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::dup2(fd, STDOUT_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
}

// Stops `io` once `http` has written every answer, or at `deadline`.
void StopWhenWritten(asio::io_context& io, frontend::HttpServer& http, std::chrono::steady_clock::time_point deadline) {
  if (http.InFlight() == 0 || std::chrono::steady_clock::now() >= deadline) {
    io.stop();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(2));
  timer->async_wait([&io, &http, deadline, timer](const boost::system::error_code&) {
    StopWhenWritten(io, http, deadline);
  });
}

void NotifyReady(int& fd, const std::string& message) {
  if (fd < 0) return;
  std::string line = message + "\n";
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
  ::close(fd);
  fd = -1;
}

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// Debian's libtorch links libblas.so.3 through the alternatives system; the
// reference BLAS makes BERT ~40x slower (docs/performance.md).
void WarnAboutReferenceBlas() {
  std::error_code ec;
  fs::path blas = fs::canonical("/usr/lib/x86_64-linux-gnu/libblas.so.3", ec);
  if (ec) return;
  std::string p = blas.string();
  if (p.find("openblas") == std::string::npos && p.find("blis") == std::string::npos &&
      p.find("mkl") == std::string::npos) {
    HLOG_WARN("libblas.so.3 resolves to {} (the reference BLAS): matrix multiplies will be many times slower. "
              "Install libopenblas0-openmp.",
              p);
  }
}

void LogConfiguration(const config::ServerConfig& c, int threads, const std::vector<std::string>& bound) {
  HLOG_INFO("Hearth version: {}", HEARTH_VERSION);
  HLOG_INFO("Config source: {}{}", c.source, c.config_file.empty() ? "" : " (" + c.config_file + ")");
  for (const auto& line : bound) HLOG_INFO("{}", line);
  HLOG_INFO("Model Store: {}", fs::absolute(c.model_store).string());
  HLOG_INFO("Initial Models: {}", c.load_models.empty() ? "N/A" : c.load_models);
  HLOG_INFO("Log dir: {}", fs::absolute(c.log_location).string());
  HLOG_INFO("Number of CPUs available: {}", core::AvailableCpuCount());
  HLOG_INFO("I/O threads: {}{}", threads,
            c.io_spin_us > 0 ? " (polling " + std::to_string(c.io_spin_us) + " us before sleeping)" : "");
  HLOG_INFO("Default workers per model: {}", c.default_workers_per_model);
  HLOG_INFO("Job queue size: {}", c.job_queue_size);
  HLOG_INFO("Maximum request size: {}", c.max_request_size);
  HLOG_INFO("Maximum response size: {}", c.max_response_size);
  HLOG_INFO("Default response timeout: {} s", c.default_response_timeout_s);
  HLOG_INFO("Model API enabled: {}", c.enable_model_api);
  HLOG_INFO("Token authorization: {}", c.disable_token_authorization
                                           ? "disabled"
                                           : "enabled (keys in key_file.json; health checks and /metrics need none)");
  HLOG_INFO("Metrics mode: {}", c.metrics_mode);
  HLOG_INFO("CPU optimizations (ipex_enable): {}", c.ipex_enable);
  HLOG_INFO("CPU launcher: {}{}", c.cpu_launcher_enable,
            c.cpu_launcher_args.empty() ? "" : " (" + c.cpu_launcher_args + ")");
  for (const auto& w : c.warnings) HLOG_WARN("{}", w);
}

// Runs handlers until the context stops. With a spin time, a thread that
// finds nothing to do keeps polling (epoll with no timeout) for that long
// before it sleeps: the reply of a fast worker or a kept-alive client's next
// request is then picked up without a wake-up, which on these
// paravirtualised machines costs tens of microseconds, for one core kept
// busy while the server is idle.
void RunEventLoop(asio::io_context& io, std::chrono::microseconds spin) {
  if (spin.count() <= 0) {
    io.run();
    return;
  }
  auto last_work = std::chrono::steady_clock::now();
  while (true) {
    const size_t ran = io.poll();
    if (io.stopped()) return;
    if (ran > 0) {
      last_work = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() - last_work < spin) continue;
    if (io.run_one() == 0) return;  // stopped while asleep
    last_work = std::chrono::steady_clock::now();
  }
}

}  // namespace

int RunServer(const config::ServerConfig& config, const RunOptions& options) {
  int ready_fd = options.ready_fd;
  ::signal(SIGPIPE, SIG_IGN);
  // Every connection is a descriptor: allow as many as the hard limit does.
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  logging::InitLogging({config.log_location, true});
  WarnAboutReferenceBlas();

  // Block the shutdown signals in every thread; asio's signal_set receives them.
  // I/O threads: number_of_netty_threads, else one per four cores. A request
  // costs the server a fraction of what it costs a worker, and every extra
  // I/O thread adds a hand-off (a futex wake) between the thread that reads
  // a worker's reply and the one that owns the connection: on 2 cores one
  // thread answers 1.35x faster at c=1 and within 4% at c=8 even for a
  // 10 us model (docs/reports/small-models).
  const int io_threads = config.number_of_netty_threads > 0 ? config.number_of_netty_threads
                                                            : std::max(1, core::AvailableCpuCount() / 4);
  // One I/O thread: asio skips the scheduler's locking (concurrency hint 1).
  asio::io_context io(io_threads == 1 ? 1 : BOOST_ASIO_CONCURRENCY_HINT_DEFAULT);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  core::Metrics metrics(Hostname());
  core::HandlerMetrics::Options handler_metrics;
  if (!config.metrics_config.empty()) {
    auto definitions = config::LoadMetricsYaml(config.metrics_config);
    if (!definitions.ok()) {
      HLOG_ERROR("{}", definitions.status().message());
      NotifyReady(ready_fd, "error: " + definitions.status().message());
      return 1;
    }
    handler_metrics.defined = HandlerMetricDefinitions(*definitions);
    metrics.SetDefinitions(std::move(definitions->units));
  }
  if (auto it = config.properties.find("model_metrics_auto_detect"); it != config.properties.end()) {
    handler_metrics.auto_detect = ParseJavaBool(it->second);
  }
  metrics.SetHandlerMetricOptions(std::move(handler_metrics), [](const std::string& name) {
    HLOG_WARN("handler metric {} dropped: metrics_config does not define it under model_metrics and "
              "model_metrics_auto_detect is false",
              name);
  });
  if (config.metrics_mode == "log" || config.metrics_mode == "legacy") {
    metrics.SetLogSinks({&logging::Metric, &logging::ModelMetric});  // before any worker starts
  }
  core::ModelManager models(io, config, &metrics);
  core::AsioTimers workflow_timers(io);
  workflow::WorkflowManager workflows(models, config, workflow_timers);
  std::unique_ptr<security::TokenAuthority> tokens;
  if (!config.disable_token_authorization) {
    security::TokenOptions token_options;
    token_options.expiration_min = config.token_expiration_min > 0 ? config.token_expiration_min : 60;
    auto created = security::TokenAuthority::Create(token_options);
    if (!created.ok()) {
      HLOG_ERROR("{}", created.status().message());
      NotifyReady(ready_fd, "error: " + created.status().message());
      return 1;
    }
    tokens = std::move(*created);
  }
  core::RequestPolicy policy(metrics);
  frontend::ApiRouter router(models, metrics, policy, config, tokens.get(), &workflows);
  SnapshotWriter snapshots(config, models, &workflows);
  router.SetOnModelsChanged([&snapshots] { snapshots.Write("snapshot"); });
  Json model_snapshot;
  if (!config.model_snapshot.empty()) {
    try {
      model_snapshot = Json::parse(config.model_snapshot);
    } catch (const std::exception& e) {
      std::string msg = config.config_file + ": model_snapshot is not valid JSON: " + e.what();
      NotifyReady(ready_fd, "error: " + msg);
      return 1;
    }
    Status st = models.CheckSnapshot(model_snapshot);
    if (!st.ok()) {
      HLOG_ERROR("{}", st.message());
      NotifyReady(ready_fd, "error: " + st.message());
      return 1;
    }
  }
  frontend::HttpServer http(io, frontend::ResponseDecoration{config.cors_allowed_origin, config.cors_allowed_methods,
                                                             config.cors_allowed_headers});

  // One listener per distinct address; an address shared by several APIs
  // serves all of their routes.
  struct Role {
    const config::ListenAddress* address;
    unsigned role;
    const char* name;
  };
  std::vector<Role> roles = {{&config.inference_address, frontend::kInferenceRole, "Inference API"},
                             {&config.management_address, frontend::kManagementRole, "Management API"}};
  if (config.enable_metrics_api) roles.push_back({&config.metrics_address, frontend::kMetricsRole, "Metrics API"});
  std::vector<std::string> bound;
  std::vector<bool> done(roles.size(), false);
  for (size_t i = 0; i < roles.size(); ++i) {
    if (done[i]) continue;
    unsigned mask = roles[i].role;
    std::string names = roles[i].name;
    for (size_t j = i + 1; j < roles.size(); ++j) {
      if (!done[j] && *roles[j].address == *roles[i].address) {
        mask |= roles[j].role;
        names += " + " + std::string(roles[j].name);
        done[j] = true;
      }
    }
    const config::ListenAddress& a = *roles[i].address;
    if (a.scheme == "unix") {
      std::string msg = names + ": " + a.ToString() + " (unix sockets) is not supported; use http:// or https://";
      HLOG_ERROR("{}", msg);
      NotifyReady(ready_fd, "error: " + msg);
      return 1;
    }
    frontend::ListenerOptions lo;
    if (a.tls()) {
      if (config.private_key_file.empty() || config.certificate_file.empty()) {
        std::string msg = names + ": " + a.ToString() +
                          " needs private_key_file and certificate_file (PEM) in config.properties "
                          "(Java keystores are not supported)";
        HLOG_ERROR("{}", msg);
        NotifyReady(ready_fd, "error: " + msg);
        return 1;
      }
      lo.tls = true;
      lo.certificate_file = config.certificate_file;
      lo.private_key_file = config.private_key_file;
    }
    lo.host = a.host;
    lo.port = a.port;
    lo.max_request_size = config.max_request_size;
    lo.header_timeout = std::chrono::seconds(config.header_timeout_s);
    lo.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    lo.name = names;
    auto port = http.Listen(lo, [&router, mask](frontend::HttpRequest&& req, frontend::Responder respond) {
      router.Handle(mask, std::move(req), std::move(respond));
    });
    if (!port.ok()) {
      HLOG_ERROR("{}", port.status().message());
      NotifyReady(ready_fd, "error: " + port.status().message());
      return 1;
    }
    bound.push_back(names + " bind to: " + a.scheme + "://" + a.host + ":" + std::to_string(*port));
  }
  frontend::GrpcServer grpc(models, metrics, policy, config, tokens.get(),
                            {[&snapshots] { snapshots.Write("snapshot"); }});
  if (config.grpc_enable) {
    Status st = grpc.Start();
    if (!st.ok()) {
      HLOG_ERROR("{}", st.message());
      NotifyReady(ready_fd, "error: " + st.message());
      return 1;
    }
    const char* scheme = config.enable_grpc_ssl ? " (TLS)" : "";
    bound.push_back("gRPC Inference API bind to: " + config.grpc_inference_host + ":" +
                    std::to_string(grpc.inference_port()) + scheme);
    bound.push_back("gRPC Management API bind to: " + config.grpc_management_host + ":" +
                    std::to_string(grpc.management_port()) + scheme);
  }
  LogConfiguration(config, io_threads, bound);
  if (options.write_pid_file) WritePidFile(getpid());

  // Every metric_time_interval seconds: the host's CPU, memory and disk
  // gauges (on /metrics in prometheus mode), and in log and legacy modes
  // TorchServe's metric lines in ts_metrics.log (legacy serves the three
  // ts_* counters on /metrics instead).
  const bool log_lines = config.metrics_mode == "log" || config.metrics_mode == "legacy";
  // The timer lives on a strand: the shutdown handler cancels it from
  // another I/O thread, and the callback re-arms it.
  auto metric_strand = asio::make_strand(io);
  asio::steady_timer metric_timer(metric_strand);
  bool metrics_stopped = false;  // on metric_strand
  core::HostSample host_before = core::ReadHostSample();
  std::function<void()> sample_metrics = [&] {
    metric_timer.expires_after(std::chrono::seconds(config.metric_time_interval_s));
    metric_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec || metrics_stopped) return;
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
      if (!config.disable_system_metrics) {
        core::HostSample host_now = core::ReadHostSample();
        metrics.SetHostGauges(core::ComputeHostGauges(host_before, host_now), now);
        host_before = std::move(host_now);
      }
      if (log_lines) {
        for (const auto& line : metrics.RenderLogLines(now, config.metrics_mode == "log" ? core::Metrics::LegacyCounters::kLogged
                                                                                         : core::Metrics::LegacyCounters::kOnMetricsEndpoint)) logging::Metric(line);
      }
      sample_metrics();
    });
  };
  sample_metrics();

  bool stopping = false;
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec || stopping) return;
    stopping = true;
    HLOG_INFO("received {}, shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    policy.BeginDrain();
    grpc.BeginDrain();
    http.StopAccepting();
    asio::post(metric_strand, [&] {
      metrics_stopped = true;
      metric_timer.cancel();
    });
    snapshots.Write("shutdown");
    models.ShutdownAll(std::chrono::seconds(config.unregister_model_timeout_s), [&io, &http] {
      // Every request has its answer; stop once the HTTP ones are written
      // (a client that keeps sending on a kept-alive connection gets 503s
      // for at most 5 s more).
      StopWhenWritten(io, http, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    });
  });

  std::vector<std::thread> threads;
  for (int i = 0; i < io_threads; ++i) {
    threads.emplace_back([&io, i, spin_us = config.io_spin_us] {
      std::string name = "io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      RunEventLoop(io, std::chrono::microseconds(spin_us));
    });
  }
  HLOG_INFO("Model server started.");
  NotifyReady(ready_fd, "ok");
  if (options.detach_console) DetachConsole(config.log_location);
  // The startup snapshot is written once the startup models are registered,
  // so that a crash right after start restores them.
  auto write_startup = [&snapshots] { snapshots.Write("startup"); };
  if (!model_snapshot.is_null()) {
    HLOG_INFO("restoring {} model(s) from the snapshot {}", model_snapshot["models"].size(), config.config_file);
    // Workflows after the models: their nodes are models.
    Json saved_workflows = model_snapshot.value("workflows", Json::object());
    models.RestoreSnapshot(model_snapshot, [&workflows, saved_workflows, write_startup] {
      workflows.RestoreSnapshot(saved_workflows, write_startup);
    });
  } else {
    models.LoadStartupModels(write_startup);
  }
  for (auto& t : threads) t.join();
  grpc.Shutdown(std::chrono::milliseconds(0));  // every call was answered before the I/O threads ended
  if (tokens) tokens->RemoveKeyFile();
  HLOG_INFO("Hearth stopped.");
  logging::FlushAll();
  if (options.write_pid_file) RemovePidFile();
  return 0;
}

}  // namespace hearth::server
