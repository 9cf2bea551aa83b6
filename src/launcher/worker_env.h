#pragma once
// The environment and log lines of one pinned worker: OpenMP settings for
// its core count, the allocator and OpenMP runtime to preload, and where it
// is bound. Pure given the libraries found (FindLibraries reads the disk).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "launcher/launcher_args.h"
#include "launcher/plan.h"
#include "launcher/topology.h"

namespace hearth::launcher {

struct Libraries {
  std::string tcmalloc;   // full paths, "" when not found
  std::string jemalloc;
  std::string iomp;       // Intel OpenMP, or LLVM's libomp which answers to it
  std::string iomp_flavour;  // "intel-iomp5" or "llvm-libomp"
  std::vector<std::string> searched_dirs;
};

// Looks in IPEX's directories plus Debian's multiarch one, trying the
// versioned names distributions ship (libtcmalloc.so.4, libjemalloc.so.2,
// libomp.so.5).
Libraries FindLibraries(const std::map<std::string, std::string>& env);

struct LogLine {
  std::string level;  // "INFO" or "WARNING"
  std::string text;
};

struct WorkerEnvironment {
  std::vector<std::pair<std::string, std::string>> vars;  // to set (final values)
  std::vector<LogLine> log;  // IPEX launcher lines, then Hearth's own
  std::string allocator;     // "tcmalloc:<path>", "jemalloc:<path>" or "default"
  std::string omp;           // "intel-iomp5:<path>", "llvm-libomp:<path>" or "gnu"
  std::string binder;        // "inprocess" or "none"
};

struct WorkerIdentity {
  std::string name;  // W-9000-model_1.0
  int slot = 0;
  int count = 1;
  std::vector<std::string> argv;  // for the equivalent numactl/taskset log line
};

// `preset` is the server's environment: a variable already set there wins
// (with the launcher's warning).
WorkerEnvironment BuildWorkerEnvironment(const LauncherArgs& args, const Libraries& libs, const Topology& topology,
                                         const Plan& plan, const WorkerIdentity& who,
                                         const std::map<std::string, std::string>& preset);

}  // namespace hearth::launcher
