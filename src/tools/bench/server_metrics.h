#pragma once
// What a benchmark learns from the server itself, pure functions over text:
//   - Prometheus exposition text (Hearth's /metrics with metrics_mode=
//     prometheus, or TorchServe's): the queue/inference split of a run from
//     two scrapes, before and after it.
//   - /proc/stat and /proc/<pid>/stat: per-core busy share and a process's
//     CPU time, parent and RSS.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proc_stats.h"

namespace hearth::bench {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
// Lines that do not parse are skipped; comments too.
std::vector<PromSample> ParsePrometheus(std::string_view text);

// Quantile q in [0, 1] of a histogram given as cumulative (upper bound, count)
// pairs in increasing bound order (+Inf last), interpolating linearly inside
// the bucket, as Prometheus' histogram_quantile does. 0 when empty.
double HistogramQuantile(const std::vector<std::pair<double, double>>& cumulative, double q);

// The server's own split of one run, from scrapes taken before and after it.
// Hearth's hearth_queue_time_seconds / hearth_inference_time_seconds /
// hearth_batch_size histograms give means and percentiles (bucket estimates);
// TorchServe's ts_queue_latency_microseconds / ts_inference_latency_microseconds
// counters give means only.
struct ServerSplit {
  bool available = false;
  bool percentiles = false;  // false: means only
  int64_t requests = 0;
  double queue_mean_ms = 0, queue_p50_ms = 0, queue_p90_ms = 0, queue_p99_ms = 0;
  double inference_mean_ms = 0, inference_p50_ms = 0, inference_p90_ms = 0, inference_p99_ms = 0;
  double batch_size_mean = 0;
  // Inside the worker, per batch (hearth_prediction_time_seconds and
  // hearth_handler_time_seconds): TorchServe's PredictionTime and
  // HandlerTime. Inference minus prediction is the frontend<->worker cost
  // (TorchServe's WorkerThreadTime).
  bool worker_times = false;
  double prediction_mean_ms = 0, prediction_p50_ms = 0, prediction_p90_ms = 0, prediction_p99_ms = 0;
  double handler_mean_ms = 0;
  double preprocess_mean_ms = 0, forward_mean_ms = 0, postprocess_mean_ms = 0;  // the handler's phases
};
// `model`: the model_name label; "" = every model summed.
ServerSplit SplitFromScrapes(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                             const std::string& model);

// /proc/stat per core (common/proc_stats.h).
using hearth::CoreBusyPercent;
using hearth::CoreTimes;
using hearth::ParseProcStat;

// /proc/<pid>/stat (common/proc_stats.h).
using hearth::ParsePidStat;
using hearth::PidStat;

}  // namespace hearth::bench
