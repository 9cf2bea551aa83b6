#include "server/pid_file.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "common/proc_stats.h"
#include "common/strings.h"

namespace hearth::server {
namespace fs = std::filesystem;

std::string PidFilePath() { return (TempDir() / ".hearth.pid").string(); }

namespace {
bool IsHearthServer(pid_t pid) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec) return false;
  std::string name = exe.filename().string();
  // A binary replaced while running shows " (deleted)".
  return name == "hearth" || StartsWith(name, "hearth ");
}
}  // namespace

bool ProcessRunning(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto stat = text.ok() ? ParsePidStat(*text) : std::nullopt;
  return !stat || stat->state != 'Z';
}

std::optional<pid_t> ReadLiveServerPid() {
  std::ifstream in(PidFilePath());
  if (!in) return std::nullopt;
  long long pid = 0;
  in >> pid;
  if (pid > 0 && ProcessRunning(static_cast<pid_t>(pid)) && IsHearthServer(static_cast<pid_t>(pid))) {
    return static_cast<pid_t>(pid);
  }
  std::printf("Removing orphan pid file.\n");
  RemovePidFile();
  return std::nullopt;
}

void WritePidFile(pid_t pid) { (void)WriteFileAtomic(PidFilePath(), std::to_string(pid)); }

void RemovePidFile() {
  std::error_code ec;
  fs::remove(PidFilePath(), ec);
}

}  // namespace hearth::server
