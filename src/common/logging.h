#pragma once
// Hearth's logs, in TorchServe's layout under the log directory:
//   ts_log.log      server log (also echoed to stdout)
//   access_log.log  one line per HTTP request
//   model_log.log   everything workers print, one line per line
// Line format follows TorchServe's log4j pattern
//   2025-03-17T11:20:57,123 [INFO ] <thread> <logger> - <message>
// Before InitLogging() every logger writes to stderr only, so tools and tests
// can log without a log directory. Thread-safe.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace hearth::logging {

struct Options {
  std::string log_dir = "logs";
  bool echo_to_stdout = true;  // server log also on stdout, as TorchServe does
};

// Creates the log directory and the three log files. Safe to call again
// (replaces the sinks).
void InitLogging(const Options& options);
void FlushAll();

// The server log ("ts_log").
spdlog::logger& Server();
// access_log.log: `/ip:port "METHOD URI HTTP/1.1" status ms`.
void Access(const std::string& line);
// ts_metrics.log: one metric line (metrics_mode log or legacy).
void Metric(const std::string& line);
// model_metrics.log: one model metric line (HandlerTime, PredictionTime).
void ModelMetric(const std::string& line);
// model_log.log: a line a worker printed; `source` is like W-9000-rn50_1.0-stdout.
void Model(spdlog::level::level_enum level, const std::string& source, const std::string& line);

}  // namespace hearth::logging

#define HLOG_INFO(...) ::hearth::logging::Server().info(__VA_ARGS__)
#define HLOG_WARN(...) ::hearth::logging::Server().warn(__VA_ARGS__)
#define HLOG_ERROR(...) ::hearth::logging::Server().error(__VA_ARGS__)
#define HLOG_DEBUG(...) ::hearth::logging::Server().debug(__VA_ARGS__)
