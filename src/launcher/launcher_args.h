#pragma once
// The launcher's arguments, in every spelling IPEX's launcher and PyTorch's
// run_cpu accept (underscores or hyphens, unambiguous prefixes, `--opt v` or
// `--opt=v`, the last occurrence wins). Pure.

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::launcher {

enum class Allocator { kAuto, kDefault, kTcmalloc, kJemalloc };
enum class OmpRuntime { kAuto, kDefault, kIntel };

struct LauncherArgs {
  bool use_logical_core = false;
  bool disable_numactl = false;        // no memory binding
  bool disable_taskset = false;        // no CPU binding either (OpenMP env only)
  Allocator allocator = Allocator::kAuto;
  bool allocator_forced = false;       // --enable_tcmalloc / --enable_jemalloc / --memory-allocator
  OmpRuntime omp = OmpRuntime::kAuto;
  int node_id = -1;
  int socket_id = -1;
  std::vector<int> nodes_list;
  int ninstances = -1;                 // with rank: narrows the region (see PlanWorkers)
  int rank = -1;
  int ncores_per_instance = -1;
  std::vector<int> core_list;          // empty = none
  bool bind_numa_node = false;         // also --skip_cross_node_cores
  std::string strategy = "close";      // close | scatter
  bool latency_mode = false;
  bool throughput_mode = false;
  bool multi_instance = false;         // throughput mode when no ncores_per_instance
  bool use_e_cores = false;
  bool benchmark = false;
  std::string log_path;
  std::string log_file_prefix = "run";
  std::string kmp_affinity;            // legacy --kmp_affinity <v>
  std::vector<std::string> warnings;   // unknown or ignored arguments
};

// Splits a cpu_launcher_args string on whitespace, honouring quotes.
std::vector<std::string> TokenizeArgs(const std::string& text);
// Errors (e.g. both tcmalloc and jemalloc) disable the launcher; their
// messages are the launcher's own texts.
StatusOr<LauncherArgs> ParseLauncherArgs(const std::vector<std::string>& tokens);

}  // namespace hearth::launcher
