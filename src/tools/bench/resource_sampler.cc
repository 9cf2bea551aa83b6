#include "tools/bench/resource_sampler.h"

#include <dirent.h>
#include <algorithm>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tools/bench/server_metrics.h"

namespace hearth::bench {
namespace {

std::string ReadProc(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// pid -> stat of every process.
std::map<pid_t, PidStat> AllProcesses() {
  std::map<pid_t, PidStat> out;
  DIR* dir = opendir("/proc");
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (auto st = ParsePidStat(ReadProc("/proc/" + std::string(e->d_name) + "/stat"))) out[pid] = *st;
  }
  closedir(dir);
  return out;
}

}  // namespace

ResourceSampler::~ResourceSampler() { Stop(); }

void ResourceSampler::Start(pid_t server_pid, std::chrono::milliseconds interval) {
  start_ = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    server_pid_ = server_pid;
    stop_ = false;
  }
  thread_ = std::thread([this, interval] { Loop(interval); });
}

void ResourceSampler::SetServerPid(pid_t pid) {
  std::lock_guard lock(mu_);
  server_pid_ = pid;
}

double ResourceSampler::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ResourceSampler::Mark(const std::string& label) {
  std::lock_guard lock(mu_);
  marks_.push_back({Now(), label});
}

void ResourceSampler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<ResourceSample> ResourceSampler::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

std::vector<PhaseMark> ResourceSampler::marks() const {
  std::lock_guard lock(mu_);
  return marks_;
}

std::vector<ResourceSample> ResourceSampler::Between(double from_s, double to_s) const {
  std::lock_guard lock(mu_);
  std::vector<ResourceSample> out;
  for (const auto& s : samples_) {
    if (s.t_s >= from_s && s.t_s <= to_s) out.push_back(s);
  }
  return out;
}

void ResourceSampler::Loop(std::chrono::milliseconds interval) {
  const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_mb = static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
  std::vector<CoreTimes> prev_cores = ParseProcStat(ReadProc("/proc/stat"));
  std::map<pid_t, uint64_t> prev_ticks;
  double prev_t = Now();
  while (true) {
    std::this_thread::sleep_for(interval);
    pid_t server;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      server = server_pid_;
    }
    ResourceSample s;
    s.t_s = Now();
    std::vector<CoreTimes> cores = ParseProcStat(ReadProc("/proc/stat"));
    s.core_busy_pct = CoreBusyPercent(prev_cores, cores);
    prev_cores = std::move(cores);
    if (auto mem = ParseMeminfo(ReadProc("/proc/meminfo")); mem && mem->total_kb > 0) {
      const double used_kb = std::max(0.0, static_cast<double>(mem->total_kb) - static_cast<double>(mem->available_kb));
      s.host_memory_pct = 100.0 * used_kb / static_cast<double>(mem->total_kb);
    }
    if (server > 0) {
      const double dt = s.t_s - prev_t;
      std::map<pid_t, uint64_t> ticks;
      for (const auto& [pid, st] : AllProcesses()) {
        const bool is_server = pid == server;
        if (!is_server && st.ppid != server) continue;
        ticks[pid] = st.cpu_ticks;
        auto prev = prev_ticks.find(pid);
        const double cpu = prev == prev_ticks.end() || dt <= 0
                               ? 0
                               : 100.0 * static_cast<double>(st.cpu_ticks - prev->second) / ticks_per_s / dt;
        if (is_server) {
          s.server_cpu_pct = cpu;
          s.server_rss_mb = static_cast<double>(st.rss_pages) * page_mb;
        } else {
          s.workers_cpu_pct += cpu;
          s.workers_rss_mb += static_cast<double>(st.rss_pages) * page_mb;
          s.workers++;
        }
      }
      prev_ticks = std::move(ticks);
    }
    prev_t = s.t_s;
    std::lock_guard lock(mu_);
    samples_.push_back(std::move(s));
  }
}

}  // namespace hearth::bench
