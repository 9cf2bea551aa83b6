// hearth: the TorchServe-compatible model server (torchserve's CLI).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "config/cli.h"
#include "config/server_config.h"
#include "server/pid_file.h"
#include "server/server.h"

namespace {

using hearth::config::CliAction;

int Stop(bool wait_long) {
  auto pid = hearth::server::ReadLiveServerPid();
  if (!pid) {
    std::printf("Hearth is not currently running.\n");
    return 1;
  }
  ::kill(*pid, SIGTERM);
  // TorchServe deletes key_file.json in the caller's directory (a quirk we keep).
  std::error_code ec;
  std::filesystem::remove("key_file.json", ec);
  // Unlike TorchServe, wait for the server to exit so that a following
  // --start finds its ports free (60 s with --foreground, as TorchServe).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_long ? 60 : 30);
  while (hearth::server::ProcessRunning(*pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (hearth::server::ProcessRunning(*pid)) {
    std::printf("Stopping Hearth took too long.\n");
    return 1;
  }
  hearth::server::RemovePidFile();
  std::printf("Hearth has stopped.\n");
  return 0;
}

int Start(const hearth::config::CliOptions& cli) {
  auto config = hearth::config::ResolveServerConfig(cli, hearth::config::CurrentEnvironment());
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 1;
  }
  if (hearth::server::ReadLiveServerPid()) {
    std::printf("Hearth is already running, please use hearth --stop to stop Hearth.\n");
    return 1;
  }
  if (cli.foreground) {
    hearth::server::RunOptions options;
    int rc = hearth::server::RunServer(*config, options);
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    std::perror("pipe");
    return 1;
  }
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    return 1;
  }
  if (child == 0) {
    ::close(ready[0]);
    setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, 0);
      ::close(devnull);
    }
    hearth::server::RunOptions options;
    options.ready_fd = ready[1];
    options.detach_console = true;
    int rc = hearth::server::RunServer(*config, options);
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  ::close(ready[1]);
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = ::read(ready[0], buf, sizeof(buf))) > 0) message.append(buf, static_cast<size_t>(n));
  ::close(ready[0]);
  if (message.rfind("ok", 0) == 0) return 0;
  if (message.rfind("error: ", 0) == 0) {
    std::fprintf(stderr, "Hearth failed to start: %s", message.substr(7).c_str());
  } else {
    int status = 0;
    waitpid(child, &status, WNOHANG);
    std::fprintf(stderr, "Hearth failed to start (the server exited; see logs/ts_log.log)\n");
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto cli = hearth::config::ParseCli(argc, argv);
  if (!cli.ok()) {
    std::fprintf(stderr, "hearth: %s\n", cli.status().message().c_str());
    return 2;
  }
  switch (cli->action) {
    case CliAction::kHelp:
      std::printf("%s", cli->help_text.c_str());
      return 0;
    case CliAction::kVersion:
      std::printf("Hearth Version is %s (TorchServe 0.12 compatible)\n", HEARTH_VERSION);
      return 0;
    case CliAction::kStop:
      return Stop(cli->foreground);
    case CliAction::kStart:
      for (const auto& flag : cli->ignored_flags) {
        std::fprintf(stderr, "warning: %s is a TorchServe (JVM) option; Hearth ignores it\n", flag.c_str());
      }
      return Start(*cli);
  }
  return 0;
}
