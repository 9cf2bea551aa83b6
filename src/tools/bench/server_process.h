#pragma once
// Starting and stopping a real hearth for a measurement (hearth-bench,
// hearth-tune), and the small process helpers that go with it.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::bench {

// A free port below Linux's ephemeral range (32768-60999), so that no
// client connection (this tool's own included) can take it before hearth
// binds it. 0 when none was found.
int FreePort();

// Runs a program to completion and returns its standard output (stderr
// passes through); a non-zero exit is an error.
StatusOr<std::string> RunAndCapture(std::vector<std::string> args);

// hearth --foreground in `dir` (its working directory and TMPDIR), output
// to dir/hearth.out. Start() returns once /ping answers on
// `inference_port`; Stop() (and the destructor) sends SIGTERM, then
// SIGKILL after 60 s.
class ServerProcess {
 public:
  ~ServerProcess() { Stop(); }
  Status Start(const std::string& binary, const std::filesystem::path& dir, const std::filesystem::path& store,
               const std::filesystem::path& config, int inference_port);
  void Stop();
  pid_t pid() const { return pid_; }
  // The last 4000 bytes of its output.
  std::string Tail() const;

 private:
  pid_t pid_ = 0;
  std::filesystem::path dir_;
};

}  // namespace hearth::bench
