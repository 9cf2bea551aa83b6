#pragma once
// The engine limit: the same TorchScript model in a plain libtorch loop in
// one process, with a given number of intra-op threads. Every Hearth figure
// is reported as a ratio to this.

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::bench {

struct RawSpec {
  std::string model_path;
  int threads = 1;
  int batch = 1;
  int iterations = 50;
  int warmup = 5;
  std::vector<int64_t> sample_shape = {3, 224, 224};  // one sample, without the batch dimension
  // When set, each iteration also decodes and preprocesses this image the
  // way image_classifier does (the whole handler's work minus the server).
  std::string image_path;
  bool optimize = false;  // apply ipex_enable's load-time optimizations first
  bool bf16 = false;      // with optimize: ipex_dtype bfloat16 (where the CPU has AVX512-BF16 or AMX)
  bool integer_inputs = false;  // int64 inputs (token ids), one per forward() argument
};

struct RawResult {
  double seconds = 0;
  double items_per_s = 0;
  std::vector<double> latencies_ms;  // per iteration (one batch)
  double preprocess_ms_mean = 0;
};

// Runs in this process with the workers' heap setting (common/heap.h), so
// the loop is the engine limit, not a page-fault benchmark.
StatusOr<RawResult> RunRaw(const RawSpec& spec);

}  // namespace hearth::bench
