#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

extern char** environ;

namespace hearth::core {

StatusOr<pid_t> SpawnProcess(const SpawnOptions& options) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (const auto& [child_fd, parent_fd] : options.fds) {
    posix_spawn_file_actions_adddup2(&actions, parent_fd, child_fd);
  }
  int highest = 2;
  for (const auto& [child_fd, parent_fd] : options.fds) highest = std::max(highest, child_fd);
  posix_spawn_file_actions_addclosefrom_np(&actions, highest + 1);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The server may block signals in its threads; children start clean.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(options.binary.c_str()));
  for (const auto& a : options.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, options.binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Internal("cannot start " + options.binary + ": " + strerror(rc));
  return pid;
}

std::string DescribeWaitStatus(int st) {
  if (WIFEXITED(st)) return "exit code " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    const char* name = strsignal(sig);
    return "signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  }
  return "status " + std::to_string(st);
}

struct ChildReaper::State {
  std::mutex mu;
  std::condition_variable cv;
  std::map<pid_t, std::function<void(int)>> watchers;  // guarded by mu
  std::map<pid_t, int> early_exits;                     // guarded by mu
  int pending = 0;                                      // guarded by mu: children not yet reaped
};

ChildReaper& ChildReaper::Get() {
  static ChildReaper* reaper = new ChildReaper();
  return *reaper;
}

ChildReaper::ChildReaper() : state_(new State) {
  std::thread([this] { Run(); }).detach();
}

void ChildReaper::Watch(pid_t pid, std::function<void(int)> on_exit) {
  std::unique_lock lock(state_->mu);
  auto early = state_->early_exits.find(pid);
  if (early != state_->early_exits.end()) {
    int st = early->second;
    state_->early_exits.erase(early);
    lock.unlock();
    on_exit(st);
    return;
  }
  state_->watchers[pid] = std::move(on_exit);
  state_->pending++;
  state_->cv.notify_all();
}

void ChildReaper::Run() {
  pthread_setname_np(pthread_self(), "reaper");
  while (true) {
    int st = 0;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      // No children (ECHILD) or interrupted: wait until one is registered.
      std::unique_lock lock(state_->mu);
      state_->cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return state_->pending > 0; });
      continue;
    }
    std::function<void(int)> callback;
    {
      std::lock_guard lock(state_->mu);
      auto it = state_->watchers.find(pid);
      if (it == state_->watchers.end()) {
        state_->early_exits[pid] = st;
        continue;
      }
      callback = std::move(it->second);
      state_->watchers.erase(it);
      state_->pending--;
    }
    callback(st);
  }
}

std::vector<std::string> CurrentEnvironmentList() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

int64_t ProcessRssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  long long size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * sysconf(_SC_PAGESIZE);
}

int AvailableCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string ExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return exe.parent_path().string();
}

}  // namespace hearth::core

namespace hearth::core {

bool CommandResult::Succeeded() const { return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }

StatusOr<CommandResult> RunCommand(SpawnOptions options, std::chrono::seconds timeout) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Internal(std::string("cannot create a pipe: ") + strerror(errno));
  options.fds = {{1, out[1]}, {2, out[1]}};
  auto pid = SpawnProcess(options);
  ::close(out[1]);
  if (!pid.ok()) {
    ::close(out[0]);
    return pid.status();
  }
  auto exited = std::make_shared<std::promise<int>>();
  std::future<int> status = exited->get_future();
  ChildReaper::Get().Watch(*pid, [exited](int st) { exited->set_value(st); });
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(*pid, SIGKILL);
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the command (and anything it started) closed its output
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  result.wait_status = status.get();
  return result;
}

}  // namespace hearth::core
