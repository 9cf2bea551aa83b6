#pragma once
// The hearth server process: logs, the model manager, the three HTTP
// listeners and signal handling, wired together. RunServer blocks until
// SIGTERM/SIGINT, then shuts down in a fixed order: stop accepting, answer
// new inference requests with 503, let in-flight requests finish (bounded
// by unregister_model_timeout), stop the workers, exit.

#include "config/server_config.h"

namespace hearth::server {

struct RunOptions {
  // When >= 0, "ok\n" or "error: <message>\n" is written here once the
  // listeners are bound (or failed), and the descriptor is closed. This is
  // how `hearth --start` learns that the server is up.
  int ready_fd = -1;
  bool write_pid_file = true;
  // Once started, stdout and stderr move to <log_location>/hearth_console.log
  // (a daemon must not hold its caller's terminal or pipes open).
  bool detach_console = false;
};

// Returns the process exit code.
int RunServer(const config::ServerConfig& config, const RunOptions& options);

}  // namespace hearth::server
