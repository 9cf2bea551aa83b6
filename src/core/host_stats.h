#pragma once
// The host's CPU, memory and disk figures behind TorchServe's system
// metrics (CPUUtilization, MemoryUsed, MemoryAvailable, MemoryUtilization,
// DiskUsage, DiskAvailable, DiskUtilization). Reading is separate from the
// arithmetic so that the arithmetic is testable.

#include <cstdint>
#include <string>
#include <vector>

#include "common/proc_stats.h"
#include "core/metrics.h"

namespace hearth::core {

struct HostSample {
  std::vector<CoreTimes> cores;  // empty when /proc/stat could not be read
  MemInfo memory;                // zeros when /proc/meminfo could not be read
  uint64_t disk_total_bytes = 0;
  uint64_t disk_free_bytes = 0;       // free blocks (root included): used = total - free
  uint64_t disk_available_bytes = 0;  // what unprivileged users may still write
};

// Reads /proc/stat, /proc/meminfo and statvfs(disk_path).
HostSample ReadHostSample(const std::string& disk_path = "/");

// CPU utilization between two samples; memory and disk from `after`.
// MemoryUsed = total - available; DiskUtilization = used / (used + available),
// as psutil computes it.
HostGauges ComputeHostGauges(const HostSample& before, const HostSample& after);

}  // namespace hearth::core
