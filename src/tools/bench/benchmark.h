#pragma once
// hearth-bench's benchmark runs: what TorchServe's benchmark-ab does (start
// the server with a config, register the model, drive it, write a report),
// with several configurations compared in one run.
//
// A run is a list of entries, each measured at every concurrency level,
// `rounds` times, alternating entries within a round so that drift on a
// shared machine spreads over all of them:
//   hearth   hearth started by the tool with the base config.properties plus
//            the entry's overrides ("ipex_enable=true,cpu_launcher_enable=true";
//            also workers=, batch_size=, batch_delay=, url= for another .mar,
//            label=); stopped after its levels.
//   target   a server already running ("target=http://host:port/predictions/m",
//            optional metrics=URL, pid=PID to sample its CPU and memory).
//   raw      the model in a plain libtorch loop in this process ("raw", or
//            "raw,optimize=true", "raw,optimize=true,bf16=true", "raw,url=other.mar"): the engine limit.
// Figures: client-side throughput and latency percentiles, errors, the
// server's queue/inference split from /metrics, CPU and RSS of the server
// and its workers, per-core CPU over the whole run.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::bench {

struct BenchOptions {
  std::string model_url;      // --url: a .mar path (or URL) for hearth entries
  std::string model_name = "benchmark";
  std::string input;          // request body file (an image for image models)
  std::string content_type;   // "" = guessed from the input's name
  std::vector<std::string> headers;  // extra "Name: value" request headers
  std::string api = "predictions";   // or "v2" (the input is a v2 infer request)
  std::vector<int> concurrency = {1};
  int64_t requests = 1000;    // per level; 0 = use duration_s
  double duration_s = 0;
  int64_t warmup = 100;       // unmeasured requests before each level
  double rate_per_s = 0;      // > 0: open loop
  int workers = 1;
  int batch_size = 1;
  int batch_delay_ms = 100;
  std::string config;         // base config.properties for hearth entries ("" = none)
  std::vector<std::string> compare;  // entries (see above); empty = one entry
  int rounds = 1;
  std::string target;         // without --compare: benchmark this running server
  std::string metrics_url;    // its metrics endpoint ("" = none)
  pid_t pid = 0;              // its pid, to sample CPU and memory (0 = none)
  bool raw_baseline = false;  // add a "raw" entry
  int raw_threads = 0;        // intra-op threads of the raw loop (0 = all cores)
  int raw_iterations = 100;
  std::vector<int64_t> raw_shape;  // one sample's shape when --input is not an image
  std::string inference_path;   // "" = predictions/<model_name> (or the v2 infer path); benchmark-ab's -imu
  bool handler_profiling = false;  // benchmark-ab's -hp (ab_report.csv's handler_*_mean columns)
  std::string tmp_dir = "/tmp";  // where started servers keep their files
  std::string report_location;  // "" = no files, terminal table only; also benchmark/ab_report.csv
  std::string bin_dir;        // where hearth is (default: beside hearth-bench)
};

// Runs everything, prints progress and the table, writes the report.
// Returns the process exit code (0 ok, 1 a run failed, 2 bad options).
int RunBenchmark(const BenchOptions& options);

}  // namespace hearth::bench
