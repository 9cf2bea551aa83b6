#pragma once
// What hearth-tune writes: the winner as config.properties and
// model-config.yaml (with the archive it serves in model_store/), and
// report.md with every candidate, the Pareto front (pareto.png, through
// gnuplot when installed) and the side-by-side confirmation.

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/tune/search.h"
#include "tools/tune/tuner.h"

namespace hearth::tune {

struct ConfirmationRow {
  std::string label;  // "default", "ipex guide", "tuned"
  double throughput = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double rss_mb = 0;
};

struct Confirmation {
  int concurrency = 0;
  std::vector<ConfirmationRow> rows;
  std::string error;       // the run failed
  std::string report_dir;  // hearth-bench's report of it
};

struct OutputInputs {
  const TuneOptions& options;
  int cores = 1;
  std::string model_version;
  const std::vector<Tried>& tried;
  const Tried* best = nullptr;  // null: nothing usable was found
  const Confirmation& confirmation;
  const std::vector<std::string>& notes;
  bool out_of_budget = false;
  double elapsed_s = 0;
  std::string winner_archive;  // the .mar the winner serves
};

// The config.properties that serves the winner from `model_store`. Pure.
std::string WinnerConfigProperties(const OutputInputs& in, const std::string& model_store, const std::string& file);
// The model-config.yaml of the winner. Pure.
std::string WinnerModelConfig(const Candidate& winner);
// report.md. Pure.
std::string TuneReport(const OutputInputs& in);

Status WriteTuneOutputs(const OutputInputs& in, const std::filesystem::path& out);

}  // namespace hearth::tune
