#include "tools/bench/server_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "tools/bench/http_client.h"

extern char** environ;

namespace hearth::bench {
namespace fs = std::filesystem;

// A free port below Linux's ephemeral range (32768-60999), so that no
// client connection (this tool's own included) can take it before hearth
// binds it.
int FreePort() {
  static std::mt19937 rng(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = 20000 + static_cast<int>(rng() % 12000);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (bound) return port;
  }
  return 0;
}


// Runs a program to completion and returns its standard output (stderr
// passes through); a non-zero exit is an error.
StatusOr<std::string> RunAndCapture(std::vector<std::string> args) {
  int fds[2];
  if (pipe(fds) != 0) return Internal("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return Internal("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Internal(args[0] + " failed");
  return out;
}

Status ServerProcess::Start(const std::string& binary, const fs::path& dir, const fs::path& store,
                         const fs::path& config, int inference_port) {
  dir_ = dir;
  std::vector<std::string> args = {binary, "--foreground", "--ncs", "--model-store", store.string(),
                                   "--ts-config", config.string()};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (!StartsWith(*e, "TMPDIR=")) env.emplace_back(*e);
  }
  env.push_back("TMPDIR=" + dir.string());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (dir / "hearth.out").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Internal("cannot start " + binary + ": " + std::strerror(rc));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return Internal("hearth exited during start-up; its output:\n" + Tail());
    }
    auto ping = HttpCall("GET", "http://127.0.0.1:" + std::to_string(inference_port) + "/ping", "", 2);
    if (ping.ok() && ping->status == 200) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Unavailable("hearth did not answer /ping within 60 s; its output:\n" + Tail());
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 600; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

std::string ServerProcess::Tail() const {
  auto text = ReadFile(dir_ / "hearth.out");
  if (!text.ok()) return "";
  return text->size() > 4000 ? text->substr(text->size() - 4000) : *text;
}

}  // namespace hearth::bench
