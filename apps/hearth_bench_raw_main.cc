// hearth-bench-raw: a TorchScript model in a plain libtorch loop in one
// process (the engine limit Hearth's figures are divided by). hearth-bench
// runs it for --raw and for the raw baseline of a report.
//   hearth-bench-raw MODEL.pt [--threads N] [--batch B] [--iterations I]
//                    [--shape 3,224,224 | --input image.jpg] [--optimize] [--json]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "common/json.h"
#include "common/strings.h"
#include "tools/bench/raw_runner.h"
#include "tools/bench/stats.h"

using hearth::Json;

namespace {

struct Output {
  bool json = false;  // JSON (for hearth-bench) rather than a line of text
};

int RunRawMode(hearth::bench::RawSpec spec, const std::string& shape, const Output& output) {
  const int threads = spec.threads, batch = spec.batch;
  const std::string& input = spec.image_path;
  if (!shape.empty()) {
    spec.sample_shape.clear();
    for (const auto& d : hearth::Split(shape, ',')) {
      auto v = hearth::ParseInt64(d);
      if (!v) {
        std::fprintf(stderr, "hearth-bench-raw: bad --shape %s\n", shape.c_str());
        return 2;
      }
      spec.sample_shape.push_back(*v);
    }
  }
  auto r = hearth::bench::RunRaw(spec);
  if (!r.ok()) {
    std::fprintf(stderr, "hearth-bench-raw: %s\n", r.status().message().c_str());
    return 1;
  }
  auto s = hearth::bench::Summarize(r->latencies_ms);
  if (output.json) {
    Json latency = {{"count", s.count},   {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms},
                    {"p99_ms", s.p99_ms}, {"p999_ms", s.p999_ms}, {"max_ms", s.max_ms}};
    std::cout << Json{{"items_per_s", r->items_per_s}, {"seconds", r->seconds}, {"threads", threads},
                      {"batch", batch}, {"preprocess_ms_mean", r->preprocess_ms_mean}, {"latency", latency},
                      {"latencies_ms", r->latencies_ms}}
                     .dump(2)
              << std::endl;
  } else {
    std::printf("raw libtorch: %.2f items/s (threads %d, batch %d), batch latency mean %.2f ms p50 %.2f p99 %.2f%s\n",
                r->items_per_s, threads, batch, s.mean_ms, s.p50_ms, s.p99_ms,
                input.empty() ? "" : (", preprocessing " + std::to_string(r->preprocess_ms_mean) + " ms").c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hearth-bench-raw: a TorchScript model in a plain libtorch loop", "hearth-bench-raw"};
  hearth::bench::RawSpec spec;
  std::string shape, input_dtype = "float32";
  Output output;
  app.add_option("model", spec.model_path, "TorchScript file")->required();
  app.add_option("--threads", spec.threads, "Intra-op threads (1)");
  app.add_option("--batch", spec.batch, "Batch size (1)");
  app.add_option("--iterations", spec.iterations, "Iterations (50)");
  app.add_option("--shape", shape, "One sample's shape (3,224,224)");
  app.add_option("--input", spec.image_path,
                 "An image, decoded and preprocessed as image_classifier does, every iteration");
  app.add_option("--input-dtype", input_dtype, "float32, or int64 for token-id models");
  app.add_flag("--json", output.json, "Print the result as JSON");
  app.add_flag("--optimize", spec.optimize, "Apply ipex_enable's load-time optimizations first");
  app.add_flag("--bf16", spec.bf16, "With --optimize: run in bfloat16 (ipex_dtype: bfloat16), where the CPU can");
  CLI11_PARSE(app, argc, argv);
  spec.integer_inputs = input_dtype == "int64";
  return RunRawMode(spec, shape, output);
}
