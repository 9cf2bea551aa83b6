#include "common/proc_stats.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/strings.h"

namespace hearth {

std::vector<CoreTimes> ParseProcStat(std::string_view text) {
  std::vector<CoreTimes> cores;
  for (const auto& raw : Split(text, '\n')) {
    std::string_view line = raw;
    if (line.size() < 4 || line.substr(0, 3) != "cpu" || line[3] < '0' || line[3] > '9') continue;
    std::vector<std::string> fields;
    for (const auto& f : Split(line, ' ')) {
      if (!f.empty()) fields.push_back(f);
    }
    // cpuN user nice system idle iowait irq softirq steal [guest guest_nice]
    if (fields.size() < 8) continue;
    uint64_t v[8] = {0};
    for (int i = 0; i < 8 && i + 1 < static_cast<int>(fields.size()); ++i) {
      v[i] = static_cast<uint64_t>(std::strtoull(fields[static_cast<size_t>(i) + 1].c_str(), nullptr, 10));
    }
    CoreTimes c;
    c.cpu = std::atoi(fields[0].c_str() + 3);
    c.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    c.busy = c.total - v[3] - v[4];  // idle and iowait are not busy
    cores.push_back(c);
  }
  return cores;
}

namespace {
// (busy, total) jiffies of one core between two readings; never negative.
std::pair<double, double> CoreDelta(const CoreTimes& before, const CoreTimes& after) {
  auto delta = [](uint64_t b, uint64_t a) { return a > b ? static_cast<double>(a - b) : 0.0; };
  return {delta(before.busy, after.busy), delta(before.total, after.total)};
}

const CoreTimes* SameCpu(const std::vector<CoreTimes>& cores, size_t hint, int cpu) {
  if (hint < cores.size() && cores[hint].cpu == cpu) return &cores[hint];
  for (const auto& c : cores) {
    if (c.cpu == cpu) return &c;
  }
  return nullptr;
}
}  // namespace

std::vector<double> CoreBusyPercent(const std::vector<CoreTimes>& before, const std::vector<CoreTimes>& after) {
  std::vector<double> out;
  for (size_t i = 0; i < after.size(); ++i) {
    const CoreTimes* b = SameCpu(before, i, after[i].cpu);
    if (!b) continue;
    auto [busy, total] = CoreDelta(*b, after[i]);
    out.push_back(total > 0 ? std::clamp(100.0 * busy / total, 0.0, 100.0) : 0.0);
  }
  return out;
}

double HostBusyPercent(const std::vector<CoreTimes>& before, const std::vector<CoreTimes>& after) {
  double busy = 0, total = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const CoreTimes* b = SameCpu(before, i, after[i].cpu);
    if (!b) continue;
    auto [core_busy, core_total] = CoreDelta(*b, after[i]);
    busy += core_busy;
    total += core_total;
  }
  return total > 0 ? std::clamp(100.0 * busy / total, 0.0, 100.0) : 0.0;
}

std::optional<MemInfo> ParseMeminfo(std::string_view text) {
  MemInfo m;
  bool total = false, available = false;
  for (const auto& line : Split(text, '\n')) {
    // "MemTotal:       24567890 kB"
    auto value = [&line](std::string_view key) -> std::optional<uint64_t> {
      if (line.compare(0, key.size(), key) != 0) return std::nullopt;
      return static_cast<uint64_t>(std::strtoull(line.c_str() + key.size(), nullptr, 10));
    };
    if (auto v = value("MemTotal:")) m.total_kb = *v, total = true;
    if (auto v = value("MemAvailable:")) m.available_kb = *v, available = true;
  }
  if (!total || !available) return std::nullopt;
  return m;
}

std::optional<PidStat> ParsePidStat(std::string_view text) {
  // The command name (field 2) is in parentheses and may hold spaces.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string> f;
  for (const auto& s : Split(text.substr(close + 1), ' ')) {
    if (!s.empty()) f.push_back(s);
  }
  // After ')': state(3) ppid(4) ... utime(14) stime(15) ... rss(24), 1-based.
  if (f.size() < 22) return std::nullopt;
  PidStat p;
  p.state = f[0].empty() ? '?' : f[0][0];
  p.ppid = std::atoi(f[1].c_str());
  p.cpu_ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
  p.rss_pages = std::strtoll(f[21].c_str(), nullptr, 10);
  return p;
}

}  // namespace hearth
