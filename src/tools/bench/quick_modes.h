#pragma once
// hearth-bench's quick modes, which print to the terminal and write no
// report: one running server driven at a few concurrency levels
// (`--target URL`, HTTP or `--grpc`), and the cost of preprocessing alone
// (`--preprocess`, `--tokenize`). Also the small helpers both these and the
// benchmark runs use.

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "tools/bench/stats.h"

namespace hearth::bench {

// A Content-Type from a body file's extension (.jpg, .png, .json, .txt, .npy;
// otherwise application/octet-stream).
std::string GuessContentType(const std::string& path);

// {"count", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"}.
Json LatencySummaryJson(const LatencySummary& summary);

struct QuickRunOptions {
  std::string target;   // http://host:port/path, or host:port with grpc
  bool grpc = false;    // KServe v2 ModelInfer over gRPC
  std::string model;    // gRPC: the model to infer
  std::string input;
  std::string content_type;
  std::string method = "POST";
  std::vector<std::string> headers;  // "Name: value"
  std::vector<int> levels;
  int64_t requests = 1000;
  double duration = 0;
  int64_t warmup = 100;
  double rate = 0;
  bool json = false;  // results as JSON on stdout
};


// Drives `target` at each of `levels` and prints a table (or JSON). Returns
// the exit code: 0, 1 when a level failed, 2 for bad options.
int RunTarget(const QuickRunOptions& options);

// Times tokenizing `input` with `vocab` (when set), or decoding and
// preprocessing the image `input` as image_classifier does.
struct PreprocessTiming {
  std::string vocab;
  std::string input;
  int iterations = 50;
};
int RunPreprocessTiming(const PreprocessTiming& timing);

}  // namespace hearth::bench
