#pragma once
// hearth-tune: finds the best serving configuration of one model on this
// machine by measuring it on the real server (search.h says how it
// searches), then writes it ready to serve and a report of everything it
// tried.
//
// Each candidate is one hearth-bench run (the same load generator, a fresh
// hearth with the candidate's config.properties and registration): closed
// loop at ConcurrencyFor(candidate); for an SLO also open loop at 50/70/85%
// of that throughput, keeping the highest rate whose p99 meets it. Workers
// are pinned by the CPU launcher (cores / workers each). Precisions: fp32
// as archived, ipex (ipex_enable), bf16 (ipex_enable + ipex_dtype), int8
// (hearth-quantize with --calibration); the answers of every precision but
// fp32 are compared with fp32's on the agreement inputs.
//
// Outputs in `out_dir`: config.properties and model-config.yaml of the
// winner (model_store/ holds the archive it serves), report.md (every
// candidate, the Pareto front of throughput and p99 in pareto.png, the
// winner, its bottleneck, and a side-by-side confirmation against Hearth's
// default configuration and the IPEX guide's recipe), state.json (what was
// measured: a second run with the same out_dir resumes from it).

#include <string>
#include <vector>

#include "tools/tune/search.h"

namespace hearth::tune {

struct TuneOptions {
  std::string model_store;
  std::string model_name;        // --models name=file.mar
  std::string mar;               // file name in model_store
  std::string input;             // request body file
  std::string content_type;      // "" = guessed by hearth-bench
  std::vector<Precision> precisions = {Precision::kFp32};
  Objective objective;
  double budget_minutes = 10;
  double seconds_per_candidate = 5;
  std::string calibration;       // images/tensors for int8 ("" = no int8)
  std::string agreement_data;    // directory of inputs ("" = --input alone)
  std::string out_dir;
  std::string base_config;       // the user's config.properties: measured with, and kept in the written one
  std::string bin_dir;           // where hearth, hearth-bench, hearth-quantize are
  int cores = 0;                 // 0 = the CPUs this process may use
  bool confirm = true;           // the side-by-side confirmation run
};

// Returns the process exit code: 0 done (a winner written), 1 the search
// found nothing admissible or a run failed, 2 bad options.
int RunTune(const TuneOptions& options);

}  // namespace hearth::tune
