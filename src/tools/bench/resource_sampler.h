#pragma once
// Samples the machine while a benchmark runs, on a background thread: each
// core's busy share (/proc/stat) and, when a server pid is given, the CPU
// share and RSS of the server and of its child processes (the workers).
// Phase marks (e.g. "c=8") let a plot show which load ran when.
// Start/Stop/Mark from one thread; results after Stop.

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hearth::bench {

struct ResourceSample {
  double t_s = 0;                    // since Start
  std::vector<double> core_busy_pct; // per core, over the last interval
  double server_cpu_pct = 0;         // 100 = one core
  double workers_cpu_pct = 0;
  double server_rss_mb = 0;
  double workers_rss_mb = 0;
  int workers = 0;
  double host_memory_pct = 0;        // (MemTotal - MemAvailable) / MemTotal
};

struct PhaseMark {
  double t_s = 0;
  std::string label;
};

class ResourceSampler {
 public:
  ~ResourceSampler();
  // server_pid 0: cores only.
  void Start(pid_t server_pid, std::chrono::milliseconds interval);
  void SetServerPid(pid_t pid);
  void Mark(const std::string& label);
  void Stop();
  double Now() const;  // seconds since Start

  std::vector<ResourceSample> samples() const;
  std::vector<PhaseMark> marks() const;
  // Samples taken between two times.
  std::vector<ResourceSample> Between(double from_s, double to_s) const;

 private:
  void Loop(std::chrono::milliseconds interval);

  std::chrono::steady_clock::time_point start_;
  std::thread thread_;
  mutable std::mutex mu_;
  bool stop_ = false;                  // guarded by mu_
  pid_t server_pid_ = 0;               // guarded by mu_
  std::vector<ResourceSample> samples_;  // guarded by mu_
  std::vector<PhaseMark> marks_;         // guarded by mu_
};

}  // namespace hearth::bench
