// hearth-worker: one model-serving process, started by the hearth server.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "worker/worker_loop.h"

int main(int argc, char** argv) {
  hearth::worker::WorkerArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ipc-fd" && i + 1 < argc) {
      args.ipc_fd = std::atoi(argv[++i]);
    } else if (a == "--name" && i + 1 < argc) {
      args.name = argv[++i];
    } else {
      std::fprintf(stderr, "usage: hearth-worker --ipc-fd FD [--name NAME]\n"
                           "(started by the hearth server; not meant to be run by hand)\n");
      return 2;
    }
  }
  return hearth::worker::RunWorker(args);
}
