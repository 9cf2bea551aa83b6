#include "core/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/logging.h"
#include "core/process.h"

namespace hearth::core {
namespace {

// "2025-03-17 11:20:57,123": the launcher's own timestamp.
std::string LauncherTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm;
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
  const long ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  char out[48];
  std::snprintf(out, sizeof(out), "%s,%03ld", stamp, ms);
  return out;
}

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace

StatusOr<WorkerProcess> LaunchWorkerProcess(const WorkerProcessSpec& spec) {
  if (spec.command.empty()) return InvalidArgument(spec.name + ": no worker command");
  int sv[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    CloseAll({sv[0], sv[1], out[0], out[1], err[0], err[1]});
    return Internal("cannot create worker channels: " + why);
  }
  for (const auto& [level, text] : spec.launcher_log) {
    logging::Model(spdlog::level::warn, spec.name + "-stderr", LauncherTimestamp() + " - __main__ - " + level + " - " + text);
  }
  SpawnOptions spawn;
  spawn.binary = spec.command.front();
  spawn.args.assign(spec.command.begin() + 1, spec.command.end());
  for (const char* arg : {"--ipc-fd", "3", "--name"}) spawn.args.emplace_back(arg);
  spawn.args.push_back(spec.name);
  spawn.env = spec.env;
  spawn.fds = {{1, out[1]}, {2, err[1]}, {3, sv[1]}};
  auto pid = SpawnProcess(spawn);
  CloseAll({sv[1], out[1], err[1]});
  if (!pid.ok()) {
    CloseAll({sv[0], out[0], err[0]});
    return pid.status();
  }
  return WorkerProcess{*pid, sv[0], out[0], err[0]};
}

namespace {

class SpawningHost final : public ProcessHost {
 public:
  StatusOr<WorkerProcess> Launch(const WorkerProcessSpec& spec) override { return LaunchWorkerProcess(spec); }
  void WatchExit(pid_t pid, std::function<void(int)> on_exit) override {
    ChildReaper::Get().Watch(pid, std::move(on_exit));
  }
  void Kill(pid_t pid) override { ::kill(pid, SIGKILL); }
};

}  // namespace

ProcessHost& RealProcessHost() {
  static SpawningHost host;
  return host;
}

}  // namespace hearth::core
