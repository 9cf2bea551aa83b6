#pragma once
// The hearth-worker process: speaks the worker protocol (proto/worker.proto)
// on an inherited Unix socket, loads one model, and answers batches until
// told to stop or the server goes away. Single-threaded; libtorch runs its
// intra-op thread pool inside operators.

#include <string>

namespace hearth::worker {

struct WorkerArgs {
  int ipc_fd = 3;
  std::string name;  // W-<id>-<model>_<version>, for log lines
};

// Returns the process exit code.
int RunWorker(const WorkerArgs& args);

}  // namespace hearth::worker
