#pragma once
// Placement planning: which CPUs and memory nodes each of a model's N
// workers gets. Pure (Topology + arguments in, Plan out), so it is tested
// against the worked examples of docs/cpu-launcher.md.
//
// Parameters and behaviour
//   Region   --core_list, else --node_id / --socket_id / --nodes-list, else
//            every allowed CPU (the cpuset); E-cores dropped unless
//            --use-e-cores; a cgroup quota of q CPUs keeps the first q.
//   Units    one CPU per physical core (the lowest allowed sibling), or with
//            --use_logical_core a core with its siblings; more workers than
//            cores falls back to single CPUs, with a warning.
//   Split    N equal slices of floor(units/N), leftovers idle (or spread);
//            --ncores_per_instance k: slices of k (close or scatter);
//            --bind-numa-node / --throughput_mode: NUMA-proportional, no
//            worker crosses a node; --latency_mode: 4 cores per worker.
//            More workers than slices wrap, with a warning naming both numbers.
// Example (2 sockets x 28 cores x 2 threads, N = 4): 0-13 | 14-27 | 28-41 | 42-55.

#include <string>
#include <vector>

#include "common/status.h"
#include "launcher/launcher_args.h"
#include "launcher/topology.h"

namespace hearth::launcher {

struct PlanOptions {
  bool spread_leftover = false;  // hearth_cpu_leftover=spread
};

struct WorkerPlacement {
  std::vector<int> cpus;          // sorted
  std::vector<int> nodes;         // NUMA nodes of those CPUs
  std::vector<int> membind_nodes; // memory binding; empty = none
  bool crosses_nodes = false;
};

struct Plan {
  std::vector<WorkerPlacement> workers;  // slot i = workers[i]
  std::vector<int> idle_cpus;
  std::vector<std::string> warnings;
  std::string unit_kind;                 // "physical" or "logical" or "cpu"
  int units = 0;
};

StatusOr<Plan> PlanWorkers(const Topology& topology, const LauncherArgs& args, int num_workers,
                           const PlanOptions& options);

// "[0, 1, 2]": the Python list repr used in the NUMA warning.
std::string PythonList(const std::vector<int>& values);

}  // namespace hearth::launcher
