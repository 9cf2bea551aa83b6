#pragma once
// Host figures from /proc, as pure functions over the files' text (the
// callers read the files): per-core CPU time and memory.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hearth {

// /proc/stat "cpuN" lines -> per-core (busy, total) jiffies. Busy excludes
// idle and iowait.
struct CoreTimes {
  int cpu = -1;  // N of "cpuN"
  uint64_t busy = 0;
  uint64_t total = 0;
};
std::vector<CoreTimes> ParseProcStat(std::string_view text);
// Busy percentage of each core of `after` between two readings, matched by
// CPU number (a CPU that went offline is skipped); counters that went
// backwards (iowait may) count as no time.
std::vector<double> CoreBusyPercent(const std::vector<CoreTimes>& before, const std::vector<CoreTimes>& after);
// Busy percentage of all cores together between two readings (0 when no time passed).
double HostBusyPercent(const std::vector<CoreTimes>& before, const std::vector<CoreTimes>& after);

// /proc/<pid>/stat -> state, parent pid, CPU time (utime + stime, clock
// ticks), RSS pages; nullopt when the text is not a stat line.
struct PidStat {
  char state = '?';  // R, S, D, Z (zombie), ...
  int ppid = 0;
  uint64_t cpu_ticks = 0;
  int64_t rss_pages = 0;
};
std::optional<PidStat> ParsePidStat(std::string_view text);

// /proc/meminfo -> MemTotal and MemAvailable in kB; nullopt without them.
struct MemInfo {
  uint64_t total_kb = 0;
  uint64_t available_kb = 0;
};
std::optional<MemInfo> ParseMeminfo(std::string_view text);

}  // namespace hearth
