// hearth-bench: the command line; the work is in src/tools/bench.
//   hearth-bench --url rn50.mar --input kitten.jpg --concurrency 1,4 --compare ... --report-location out/
//   hearth-bench --target http://127.0.0.1:8080/predictions/m --input x.jpg --concurrency 1,8 --requests 2000
//   hearth-bench --raw model.pt --threads 2 --batch 1 --iterations 50 [--input x.jpg]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "common/files.h"
#include "common/strings.h"
#include "tools/bench/ab_compat.h"
#include "tools/bench/benchmark.h"
#include "tools/bench/quick_modes.h"

namespace {

// What --raw passes on to hearth-bench-raw.
struct RawRun {
  std::string model;
  int threads = 1;
  int batch = 1;
  int iterations = 50;
  std::string shape;  // "" = hearth-bench-raw's default
  std::string input;  // an image to preprocess every iteration, or ""
  std::string input_dtype = "float32";
  bool optimize = false;
  bool bf16 = false;
};

// --raw runs in hearth-bench-raw (the only part that links libtorch, so
// that this tool starts in milliseconds and its CPU figures stay its own).
int ExecRawRunner(const RawRun& run, const hearth::bench::QuickRunOptions& output) {
  std::error_code ec;
  const std::string binary =
      (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "hearth-bench-raw").string();
  std::vector<std::string> args = {binary, run.model, "--threads", std::to_string(run.threads), "--batch",
                                   std::to_string(run.batch), "--iterations", std::to_string(run.iterations),
                                   "--input-dtype", run.input_dtype};
  if (!run.shape.empty()) args.insert(args.end(), {"--shape", run.shape});
  if (!run.input.empty()) args.insert(args.end(), {"--input", run.input});
  if (output.json) args.push_back("--json");
  if (run.optimize) args.push_back("--optimize");
  if (run.bf16) args.push_back("--bf16");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  std::fprintf(stderr, "hearth-bench: cannot run %s: %s\n", binary.c_str(), std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hearth-bench: benchmark Hearth (or any server speaking /predictions or KServe v2), compare "
               "configurations, write reports; also a raw libtorch baseline",
               "hearth-bench"};
  hearth::bench::QuickRunOptions load;
  hearth::bench::BenchOptions bench;
  std::string raw, shape, concurrency = "1";
  std::string& input = load.input;
  bool& json = load.json;
  int threads = 1, batch = 1, iterations = 50;
  // Benchmark runs (benchmark-ab's flags where they exist).
  app.add_option("--url,-u", bench.model_url, "Model archive (.mar path or URL): start hearth and benchmark it");
  app.add_option("--config,--config-properties,--config_properties", bench.config,
                 "Base config.properties for the hearth it starts");
  app.add_option("--workers,-w", bench.workers, "Workers for the model (1)");
  app.add_option("--batch-size,--batch_size", bench.batch_size, "batch_size at registration (1)");
  app.add_option("--batch-delay,--batch_delay", bench.batch_delay_ms, "max_batch_delay at registration, ms (100)");
  app.add_option("--compare", bench.compare,
                 "Configurations to compare, each \"key=value,...\" (config.properties keys, or workers=, "
                 "batch_size=, batch_delay=, url=, label=), \"target=URL[,metrics=URL,pid=PID]\" or \"raw\"");
  app.add_option("--rounds", bench.rounds, "Alternating rounds over the configurations (1); medians reported");
  app.add_option("--report-location,--report_location", bench.report_location,
                 "Directory for report.md, report.csv, report.json and plots");
  app.add_option("--metrics-url", bench.metrics_url, "With --target: the server's /metrics (queue/inference split)");
  app.add_option("--pid", bench.pid, "With --target: the server's pid (CPU and memory of it and its workers)");
  app.add_flag("--raw-baseline", bench.raw_baseline, "Add the model in a plain libtorch loop to the report");
  app.add_option("--raw-threads", bench.raw_threads, "Threads of the raw baseline (all cores)");
  app.add_option("--raw-iterations", bench.raw_iterations, "Iterations of the raw baseline (100)");
  app.add_option("--api", bench.api, "predictions (default) or v2 (--input is a KServe v2 infer request)");
  app.add_option("--model-name", bench.model_name, "Name to register the model under (benchmark)");
  // Load.
  app.add_option("--target", load.target, "URL of a running server's prediction endpoint (host:port with --grpc)");
  app.add_flag("--grpc", load.grpc, "Send KServe v2 ModelInfer over gRPC to --target host:port (7070)");
  app.add_option("--model", load.model, "With --grpc: the model name");
  app.add_option("--input,-i", input, "Request body file (or the image preprocessed in --raw mode)");
  app.add_option("--content-type,--ic,--content_type", load.content_type,
                 "Content-Type of the body (guessed from the file name)");
  app.add_option("--header,-H", load.headers, "Extra request header \"Name: value\" (repeatable)");
  app.add_option("--method", load.method, "HTTP method (POST)");
  app.add_option("--concurrency,-c", concurrency, "Comma-separated concurrency levels (1)");
  app.add_option("--requests,-r", load.requests, "Measured requests per level (1000); 0 with --duration");
  app.add_option("--duration", load.duration, "Seconds per level instead of a request count");
  app.add_option("--warmup", load.warmup, "Unmeasured requests before each level (100)");
  app.add_option("--rate", load.rate, "Open loop: Poisson arrivals at this many requests/s");
  app.add_flag("--json", json, "With --target: print results as JSON (no report)");
  // Raw libtorch loop alone.
  app.add_option("--raw", raw, "TorchScript file to run in a plain libtorch loop (the engine limit)");
  app.add_option("--threads", threads, "Intra-op threads in --raw mode (1)");
  app.add_option("--batch", batch, "Batch size in --raw mode (1)");
  app.add_option("--iterations", iterations, "Iterations in --raw mode (50)");
  app.add_option("--shape", shape, "One sample's shape in --raw mode and the raw baseline (3,224,224)");
  bool optimize = false;
  app.add_flag("--optimize", optimize, "In --raw mode, apply ipex_enable's load-time optimizations first");
  bool bf16 = false;
  app.add_flag("--bf16", bf16, "In --raw mode with --optimize: bfloat16 (ipex_dtype: bfloat16)");
  std::string input_dtype = "float32";
  app.add_option("--input-dtype", input_dtype, "In --raw mode: float32, or int64 for token-id models");
  std::string tokenize_vocab;
  bool preprocess = false;
  app.add_option("--tokenize", tokenize_vocab, "Time WordPiece tokenization of --input with this vocab.txt");
  app.add_flag("--preprocess", preprocess, "Time image_classifier preprocessing of the --input image");
  // benchmark-ab.py's options (tools/bench/ab_compat.h).
  std::string test_plan = "custom", exec_env = "local", gpus, image, docker_runtime, benchmark_backend = "ab";
  std::string backend_profiling = "false", handler_profiling = "false", generate_graphs = "false";
  app.add_option("test_plan", test_plan, "benchmark-ab's test plan: custom (the options as given)");
  app.add_option("--inference_model_url,--inference-model-url", bench.inference_path,
                 "Path after the inference address (predictions/benchmark)");
  app.add_option("--tmp_dir,--tmp-dir", bench.tmp_dir, "Where the servers it starts keep their files (/tmp)");
  app.add_option("--exec_env", exec_env, "benchmark-ab: local (docker is not supported)");
  app.add_option("--gpus", gpus, "benchmark-ab: not supported (Hearth serves on CPUs)");
  app.add_option("--image", image, "benchmark-ab docker image: not supported");
  app.add_option("--docker_runtime", docker_runtime, "benchmark-ab docker runtime: not supported");
  app.add_option("--benchmark_backend", benchmark_backend, "benchmark-ab: ab or locust; hearth-bench's own load generator runs either way");
  app.add_option("--backend_profiling", backend_profiling, "benchmark-ab: accepted; the server split is always measured");
  app.add_option("--handler_profiling", handler_profiling, "benchmark-ab: accepted; handler time is always reported");
  app.add_option("--generate_graphs", generate_graphs, "benchmark-ab: accepted; plots are always written");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto translated = hearth::bench::TranslateBenchmarkAbArgs(args, [](const std::string& path) {
    return hearth::ReadFile(path);
  });
  if (!translated.ok()) {
    std::fprintf(stderr, "hearth-bench: %s\n", translated.status().message().c_str());
    return 2;
  }
  std::reverse(translated->begin(), translated->end());  // CLI11 takes them last first
  try {
    app.parse(*translated);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (test_plan != "custom") {
    std::fprintf(stderr, "hearth-bench: test plan \"%s\" %s\n", test_plan.c_str(),
                 hearth::bench::IsBenchmarkAbPreset(test_plan)
                     ? "is one of benchmark-ab's presets around TorchServe's published archives; give --url, --input, "
                       "-c, -r, -bs, -w as it would"
                     : "is unknown (benchmark-ab's custom plan is the only one)");
    return 2;
  }
  if (exec_env != "local" || !image.empty() || !docker_runtime.empty()) {
    std::fprintf(stderr, "hearth-bench: docker execution is not supported; run hearth-bench inside the container\n");
    return 2;
  }
  if (!gpus.empty() && gpus != "0") {
    std::fprintf(stderr, "hearth-bench: --gpus: Hearth serves on CPUs\n");
    return 2;
  }
  for (const auto* flag : {&backend_profiling, &handler_profiling, &generate_graphs}) {
    if (!hearth::EqualsIgnoreCase(*flag, "true") && !hearth::EqualsIgnoreCase(*flag, "false") && *flag != "1" &&
        *flag != "0") {
      std::fprintf(stderr, "hearth-bench: expected true or false, got \"%s\"\n", flag->c_str());
      return 2;
    }
  }
  bench.handler_profiling = hearth::ParseJavaBool(handler_profiling) || handler_profiling == "1";
  if (benchmark_backend != "ab" && benchmark_backend != "locust") {
    std::fprintf(stderr, "hearth-bench: --benchmark_backend must be ab or locust\n");
    return 2;
  }
  if (!tokenize_vocab.empty() || preprocess) {
    return hearth::bench::RunPreprocessTiming({tokenize_vocab, input, iterations});
  }
  if (!raw.empty()) {
    return ExecRawRunner(RawRun{raw, threads, batch, iterations, shape, input, input_dtype, optimize, bf16}, load);
  }
  for (const auto& c : hearth::Split(concurrency, ',')) {
    auto v = hearth::ParseInt(c);
    if (!v || *v < 1) {
      std::fprintf(stderr, "hearth-bench: bad --concurrency %s\n", concurrency.c_str());
      return 2;
    }
    load.levels.push_back(*v);
  }
  if (load.duration > 0) load.requests = 0;
  // Quick modes: one running server, a table or JSON on stdout.
  if (load.grpc || (json && !load.target.empty())) {
    if (load.target.empty()) {
      std::fprintf(stderr, "hearth-bench: --grpc needs --target host:port\n");
      return 2;
    }
    return hearth::bench::RunTarget(load);
  }
  if (load.target.empty() && bench.model_url.empty() && bench.compare.empty()) {
    std::fprintf(stderr, "hearth-bench: give --url MODEL.mar, --target URL, --compare ... or --raw MODEL.pt (see --help)\n");
    return 2;
  }
  bench.target = load.target;
  bench.input = load.input;
  bench.content_type = load.content_type;
  bench.headers = load.headers;
  bench.concurrency = load.levels;
  bench.requests = load.requests;
  bench.duration_s = load.duration;
  bench.warmup = load.warmup;
  bench.rate_per_s = load.rate;
  for (const auto& d : hearth::Split(shape, ',')) {
    if (auto v = hearth::ParseInt64(d)) bench.raw_shape.push_back(*v);
  }
  return hearth::bench::RunBenchmark(bench);
}
