#include "common/logging.h"

#include <pthread.h>

#include <filesystem>
#include <cstring>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace hearth::logging {
namespace {

constexpr size_t kMaxLogBytes = 100 * 1024 * 1024;
constexpr size_t kKeptFiles = 5;

// [%-5p] as log4j prints it: "INFO ", "WARN ", "ERROR".
class Log4jLevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static const char* kNames[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "FATAL", "OFF  "};
    const char* name = kNames[static_cast<int>(msg.level)];
    dest.append(name, name + 5);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<Log4jLevelFlag>(); }
};

// %t in log4j is the thread name; ours come from pthread_setname_np.
class ThreadNameFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    char name[32] = "main";
    pthread_getname_np(pthread_self(), name, sizeof(name));
    dest.append(name, name + std::strlen(name));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<ThreadNameFlag>(); }
};

std::unique_ptr<spdlog::formatter> Log4jFormatter(bool with_thread) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<Log4jLevelFlag>('*');
  f->add_flag<ThreadNameFlag>('&');
  f->set_pattern(with_thread ? "%Y-%m-%dT%H:%M:%S,%e [%*] %& %n - %v" : "%Y-%m-%dT%H:%M:%S,%e [%*] %v");
  return f;
}

std::unique_ptr<spdlog::formatter> PlainFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->set_pattern("%Y-%m-%dT%H:%M:%S,%e - %v");
  return f;
}

struct Loggers {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> server;
  std::shared_ptr<spdlog::logger> access;
  std::shared_ptr<spdlog::logger> model;
  std::shared_ptr<spdlog::logger> metrics;
  std::shared_ptr<spdlog::logger> model_metrics;
};

Loggers& State() {
  static Loggers* loggers = [] {
    auto* l = new Loggers;
    auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    l->server = std::make_shared<spdlog::logger>("hearth", err);
    l->server->set_formatter(Log4jFormatter(true));
    l->access = std::make_shared<spdlog::logger>("ACCESS_LOG", spdlog::sinks_init_list{});
    l->metrics = std::make_shared<spdlog::logger>("TS_METRICS", spdlog::sinks_init_list{});
    l->model_metrics = std::make_shared<spdlog::logger>("MODEL_METRICS", spdlog::sinks_init_list{});
    l->model = std::make_shared<spdlog::logger>("MODEL_LOG", err);
    l->model->set_formatter(Log4jFormatter(false));
    return l;
  }();
  return *loggers;
}

}  // namespace

void InitLogging(const Options& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.log_dir, ec);
  auto file_sink = [&](const char* name) {
    return std::make_shared<spdlog::sinks::rotating_file_sink_mt>((fs::path(options.log_dir) / name).string(),
                                                                   kMaxLogBytes, kKeptFiles);
  };
  Loggers& l = State();
  std::lock_guard lock(l.mu);

  auto ts_file = file_sink("ts_log.log");
  std::vector<spdlog::sink_ptr> server_sinks{ts_file};
  if (options.echo_to_stdout) server_sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  auto server = std::make_shared<spdlog::logger>("hearth", server_sinks.begin(),
                                                 server_sinks.end());
  server->set_formatter(Log4jFormatter(true));
  server->flush_on(spdlog::level::warn);

  auto access = std::make_shared<spdlog::logger>("ACCESS_LOG", file_sink("access_log.log"));
  access->set_formatter(PlainFormatter());

  auto metrics = std::make_shared<spdlog::logger>("TS_METRICS", file_sink("ts_metrics.log"));
  metrics->set_formatter(PlainFormatter());
  auto model_metrics = std::make_shared<spdlog::logger>("MODEL_METRICS", file_sink("model_metrics.log"));
  model_metrics->set_formatter(PlainFormatter());

  std::vector<spdlog::sink_ptr> model_sinks{file_sink("model_log.log")};
  if (options.echo_to_stdout) model_sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  auto model = std::make_shared<spdlog::logger>("MODEL_LOG", model_sinks.begin(), model_sinks.end());
  model->set_formatter(Log4jFormatter(false));

  for (const auto& logger : {server, access, model, metrics, model_metrics}) {
    spdlog::drop(logger->name());
    spdlog::register_logger(logger);
  }
  l.server = server;
  l.access = access;
  l.model = model;
  l.metrics = metrics;
  l.model_metrics = model_metrics;
  spdlog::flush_every(std::chrono::seconds(1));
}

void FlushAll() {
  Loggers& l = State();
  l.server->flush();
  l.access->flush();
  l.model->flush();
  l.metrics->flush();
  l.model_metrics->flush();
}

spdlog::logger& Server() { return *State().server; }

void Access(const std::string& line) { State().access->info(line); }

void Metric(const std::string& line) { State().metrics->info(line); }

void ModelMetric(const std::string& line) { State().model_metrics->info(line); }

void Model(spdlog::level::level_enum level, const std::string& source, const std::string& line) {
  State().model->log(level, "{} MODEL_LOG - {}", source, line);
}

}  // namespace hearth::logging
