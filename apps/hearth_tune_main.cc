// hearth-tune: find the best serving configuration for a model on this machine.
//   hearth-tune --model-store model_store --models rn50=rn50.mar --input kitten.jpg
//       [--objective throughput|latency | --slo-p99-ms 50] [--precisions fp32,ipex,bf16,int8 --calibration imgs/]
//       [--budget-minutes 10] [--out tune-rn50]
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tools/tune/tuner.h"

int main(int argc, char** argv) {
  namespace tune = hearth::tune;
  tune::TuneOptions o;
  std::string models, precisions = "fp32,ipex", objective = "throughput";
  double slo = 0;
  bool no_confirm = false;
  CLI::App app{"hearth-tune: find the best serving configuration (workers x threads, batching, precision) for a "
               "model on this machine, measured on the real server",
               "hearth-tune"};
  app.add_option("--model-store", o.model_store, "Model store directory")->required();
  app.add_option("--models", models, "The model: NAME=FILE.mar (in the model store)")->required();
  app.add_option("--input,-i", o.input, "A request body (e.g. an image) to measure with")->required();
  app.add_option("--content-type", o.content_type, "Content-Type of --input (guessed from its name)");
  app.add_option("--objective", objective, "throughput (default) or latency")
      ->check(CLI::IsMember({"throughput", "latency"}));
  app.add_option("--slo-p99-ms", slo, "Most throughput whose p99 stays at or below this (open loop)");
  app.add_option("--precisions", precisions, "Comma-separated: fp32, ipex, bf16, int8 (fp32,ipex)");
  app.add_option("--calibration", o.calibration, "Calibration images or tensors for int8 (hearth-quantize)");
  app.add_option("--agreement-data", o.agreement_data, "Inputs to compare each precision's answers with fp32's on");
  app.add_option("--min-agreement", o.objective.min_agreement, "Lowest top-1 agreement with fp32 kept (0.99)");
  app.add_option("--budget-minutes", o.budget_minutes, "Time for the whole search (10)");
  app.add_option("--seconds-per-candidate", o.seconds_per_candidate, "Measurement time per configuration (5)");
  app.add_option("--out", o.out_dir, "Where config.properties, model-config.yaml, report.md go (tune-NAME)");
  app.add_option("--cores", o.cores, "Cores to tune for (all this process may use)");
  app.add_option("--ts-config", o.base_config,
                 "Your config.properties: measured with, and kept in the config.properties written")
      ->check(CLI::ExistingFile);
  app.add_flag("--no-confirm", no_confirm, "Skip the side-by-side run against the default and the IPEX recipe");
  CLI11_PARSE(app, argc, argv);
  const auto eq = models.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == models.size()) {
    std::fprintf(stderr, "hearth-tune: --models must be NAME=FILE.mar, got \"%s\"\n", models.c_str());
    return 2;
  }
  o.model_name = models.substr(0, eq);
  o.mar = models.substr(eq + 1);
  auto parsed = tune::ParsePrecisions(precisions);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hearth-tune: %s\n", parsed.status().message().c_str());
    return 2;
  }
  o.precisions = *parsed;
  if (slo > 0) {
    o.objective.kind = tune::Objective::Kind::kSlo;
    o.objective.slo_p99_ms = slo;
  } else if (objective == "latency") {
    o.objective.kind = tune::Objective::Kind::kLatency;
  }
  if (o.out_dir.empty()) o.out_dir = "tune-" + o.model_name;
  if (o.budget_minutes <= 0 || o.seconds_per_candidate <= 0) {
    std::fprintf(stderr, "hearth-tune: --budget-minutes and --seconds-per-candidate must be positive\n");
    return 2;
  }
  o.confirm = !no_confirm;
  std::error_code ec;
  o.bin_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
  return tune::RunTune(o);
}
