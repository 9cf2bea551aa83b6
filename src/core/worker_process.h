#pragma once
// Starting one worker process: the socket pair it speaks worker.proto on
// (its fd 3), pipes for its stdout and stderr (fds 1 and 2, which feed
// model_log.log), and `command... --ipc-fd 3 --name <name>`. The only place
// the worker supervisor creates descriptors and processes.

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::core {

struct WorkerProcessSpec {
  std::vector<std::string> command;  // program and leading arguments
  std::vector<std::string> env;      // complete environment
  std::string name;                  // W-<id>-<model>_<version>
  // CPU launcher lines (level, text), written to model_log.log first in the
  // IPEX launcher's format, as TorchServe shows them.
  std::vector<std::pair<std::string, std::string>> launcher_log;
};

// The parent's ends; the caller owns (and closes) the three descriptors.
struct WorkerProcess {
  pid_t pid = 0;
  int socket_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// On error nothing is left open and the message says what failed.
StatusOr<WorkerProcess> LaunchWorkerProcess(const WorkerProcessSpec& spec);

// What a worker slot does to processes: launch, learn of the exit, kill.
// The real host spawns (LaunchWorkerProcess) and reaps (ChildReaper); unit
// tests of core::Worker pass a fake that plays the worker over a socket
// pair, with no process at all. Thread-safe.
class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  virtual StatusOr<WorkerProcess> Launch(const WorkerProcessSpec& spec) = 0;
  // Calls `on_exit(wait_status)` once `pid` has ended, from any thread.
  virtual void WatchExit(pid_t pid, std::function<void(int wait_status)> on_exit) = 0;
  // SIGKILL.
  virtual void Kill(pid_t pid) = 0;
};
ProcessHost& RealProcessHost();

}  // namespace hearth::core
