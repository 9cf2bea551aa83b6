#pragma once
// Applying a placement to the calling process: CPU affinity
// (sched_setaffinity) and memory binding (set_mempolicy MPOL_BIND). Called by
// hearth-worker first thing, before libtorch starts any thread, and by
// hearth-launch in the child before exec. No numactl or taskset needed.

#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::launcher {

struct ApplyResult {
  bool cpus_bound = false;
  bool memory_bound = false;
  std::vector<std::string> warnings;  // e.g. memory binding refused in a container
};

// Binds to `cpus` and, when `membind_nodes` is not empty, to those memory
// nodes. Memory binding that the kernel refuses (EPERM under Docker's
// seccomp profile) is a warning, not an error; CPU binding failure is an error.
StatusOr<ApplyResult> ApplyPlacement(const std::vector<int>& cpus, const std::vector<int>& membind_nodes);

// Reads HEARTH_WORKER_CPUS / HEARTH_WORKER_MEMBIND / HEARTH_WORKER_BIND
// (set by the server's launcher) and applies them; a no-op without them.
StatusOr<ApplyResult> ApplyPlacementFromEnvironment();

}  // namespace hearth::launcher
