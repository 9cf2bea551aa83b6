#pragma once
// The pid file that `hearth --start/--stop` use to find a running server:
// <tempdir>/.hearth.pid holding the decimal pid. A pid file whose process is
// gone or is not a hearth server is an orphan and is removed.

#include <sys/types.h>

#include <optional>
#include <string>

namespace hearth::server {

std::string PidFilePath();
// The pid of the running hearth server, if any (removes orphan files and
// says so on stdout, as TorchServe does).
std::optional<pid_t> ReadLiveServerPid();
void WritePidFile(pid_t pid);
// True while the process exists and has not exited (a zombie has exited).
bool ProcessRunning(pid_t pid);
void RemovePidFile();

}  // namespace hearth::server
