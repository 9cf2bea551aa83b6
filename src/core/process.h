#pragma once
// Child processes: spawning with chosen file descriptors and environment, and
// a reaper thread that collects exit statuses. These are the only syscalls
// the worker supervisor makes on processes.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::core {

struct SpawnOptions {
  std::string binary;             // absolute path
  std::vector<std::string> args;  // argv[1..]
  std::vector<std::string> env;   // complete environment, "KEY=VALUE"
  // Child fd numbers -> parent fds to install there (dup2). Every other
  // descriptor above 2 is closed in the child.
  std::vector<std::pair<int, int>> fds;
};

// posix_spawn; returns the child's pid.
StatusOr<pid_t> SpawnProcess(const SpawnOptions& options);

// Exit status as text: "exit code 1", "signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);

// Collects every child of this process on a background thread ("reaper") and
// calls the callback registered for its pid with the wait status. An exit
// seen before its pid was registered is kept and delivered at Watch().
// Thread-safe. Callbacks run on the reaper thread and must not block.
class ChildReaper {
 public:
  static ChildReaper& Get();
  void Watch(pid_t pid, std::function<void(int wait_status)> on_exit);

 private:
  ChildReaper();
  void Run();
  struct State;
  State* state_;
};

// The environment of this process as "KEY=VALUE" strings.
std::vector<std::string> CurrentEnvironmentList();
// Resident set size of a process in bytes (from /proc), 0 if unknown.
int64_t ProcessRssBytes(pid_t pid);
// Number of CPUs this process may run on (sched_getaffinity).
int AvailableCpuCount();
// Directory of the running executable.
std::string ExecutableDir();

}  // namespace hearth::core

namespace hearth::core {

struct CommandResult {
  int wait_status = 0;
  bool timed_out = false;  // killed at the deadline
  std::string output;      // stdout and stderr, interleaved as written
  bool Succeeded() const;
};

// Runs `options` (its `fds` are replaced by a pipe for stdout and stderr)
// to completion and returns what it printed. Blocks up to `timeout`, then
// kills the command. Errors: it could not be started.
StatusOr<CommandResult> RunCommand(SpawnOptions options, std::chrono::seconds timeout);

}  // namespace hearth::core
