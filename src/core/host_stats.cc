#include "core/host_stats.h"

#include <sys/statvfs.h>

#include <algorithm>

#include "common/files.h"

namespace hearth::core {

HostSample ReadHostSample(const std::string& disk_path) {
  HostSample s;
  if (auto stat = ReadFile("/proc/stat"); stat.ok()) s.cores = ParseProcStat(*stat);
  if (auto meminfo = ReadFile("/proc/meminfo"); meminfo.ok()) {
    if (auto m = ParseMeminfo(*meminfo)) s.memory = *m;
  }
  struct statvfs fs {};
  if (::statvfs(disk_path.c_str(), &fs) == 0) {
    s.disk_total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
    s.disk_free_bytes = static_cast<uint64_t>(fs.f_bfree) * fs.f_frsize;
    s.disk_available_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  return s;
}

HostGauges ComputeHostGauges(const HostSample& before, const HostSample& after) {
  HostGauges g;
  g.cpu_utilization_pct = HostBusyPercent(before.cores, after.cores);
  const double total_kb = static_cast<double>(after.memory.total_kb);
  const double available_kb = static_cast<double>(after.memory.available_kb);
  g.memory_available_mb = available_kb / 1024;
  const double used_kb = std::max(0.0, total_kb - available_kb);  // some containers report more available than total
  g.memory_used_mb = used_kb / 1024;
  g.memory_utilization_pct = total_kb > 0 ? 100 * used_kb / total_kb : 0;
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  const double used = static_cast<double>(after.disk_total_bytes - after.disk_free_bytes);
  const double available = static_cast<double>(after.disk_available_bytes);
  g.disk_usage_gb = used / kGiB;
  g.disk_available_gb = available / kGiB;
  g.disk_utilization_pct = used + available > 0 ? 100 * used / (used + available) : 0;
  return g;
}

}  // namespace hearth::core
