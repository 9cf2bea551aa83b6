#pragma once
// CPU topology as the launcher sees it: which CPUs exist, which this process
// may use (the cgroup cpuset, via sched_getaffinity), how they group into
// cores (hyper-thread siblings) and NUMA nodes, and any cgroup CPU quota.
// Pure data; LoadTopology reads it from sysfs (or a directory that mimics
// sysfs, for tests).

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::launcher {

struct Cpu {
  int id = 0;
  int package = 0;
  int node = 0;
  std::vector<int> siblings;  // the CPUs of its core, itself included, sorted
  bool efficiency_core = false;
};

struct Topology {
  std::vector<Cpu> cpus;            // online CPUs, by id
  std::vector<int> allowed;         // online ∩ affinity mask, sorted
  std::vector<int> memory_nodes;    // nodes with memory that this process may use
  std::optional<int> cpu_quota;     // cgroup quota in whole CPUs (ceil)
  std::string source = "sysfs";

  const Cpu* Find(int id) const;
  bool IsAllowed(int id) const;
  std::vector<int> Nodes() const;   // nodes that have CPUs, sorted
};

struct TopologySources {
  std::string sysfs_cpu = "/sys/devices/system/cpu";
  std::string sysfs_node = "/sys/devices/system/node";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_self = "/proc/self";
  // Empty: use sched_getaffinity. Set (tests): this CPU list is the mask.
  std::string affinity_override;
};

StatusOr<Topology> LoadTopology(const TopologySources& sources);

}  // namespace hearth::launcher
