// hearth-launch: the CPU launcher for any command (like ipexrun / run_cpu).
//   hearth-launch [launcher args] -- program [args...]
//   hearth-launch --ninstances 2 -- hearth-bench --raw rn50.pt --threads 1
//   hearth-launch --ninstances 4 --dry-run -- true
// Each instance gets its own core set, OpenMP environment, allocator and
// memory binding (applied in the child before exec); all are waited for and
// the first failing exit status is returned.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "common/strings.h"
#include "config/server_config.h"
#include "launcher/apply.h"
#include "launcher/launcher.h"

namespace {

std::string Stamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm;
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
                              1000);
  char out[48];
  std::snprintf(out, sizeof(out), "%s,%03ld", buf, ms);
  return out;
}

int Usage() {
  std::fprintf(stderr,
               "usage: hearth-launch [launcher args] [--dry-run] -- program [args...]\n"
               "launcher args as IPEX's launcher / torch.backends.xeon.run_cpu: --ninstances N, --rank R,\n"
               "--ncores-per-instance K, --core-list L, --node-id N, --use-logical-core, --disable-numactl,\n"
               "--enable-tcmalloc, --enable-jemalloc, --use-default-allocator, --disable-iomp, --latency-mode,\n"
               "--throughput-mode, --bind-numa-node, --log-path DIR, --log-file-prefix P, ...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> launcher_tokens;
  std::vector<std::string> program;
  bool dry_run = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") return Usage();
    if (a == "--dry-run" || a == "--dry_run") {
      dry_run = true;
      continue;
    }
    if (!hearth::StartsWith(a, "-")) break;  // run_cpu style: the program starts at the first non-option
    launcher_tokens.push_back(a);
    // Options that take a value: keep the value with them.
    if (i + 1 < argc && argv[i + 1][0] != '-' && a.find('=') == std::string::npos) {
      static const char* kValued[] = {"ninstances", "rank", "instance", "ncore", "core", "cores", "node", "socket",
                                      "memory", "omp", "strategy", "log", "kmp", "multi", "nodes", "nnodes",
                                      "nproc", "ccl", "master", "hostfile"};
      std::string n = a;
      while (!n.empty() && n[0] == '-') n.erase(0, 1);
      for (const char* v : kValued) {
        if (hearth::StartsWith(n, v)) {
          launcher_tokens.push_back(argv[++i]);
          break;
        }
      }
    }
  }
  for (; i < argc; ++i) program.push_back(argv[i]);
  if (program.empty()) return Usage();

  auto parsed = hearth::launcher::ParseLauncherArgs(launcher_tokens);
  if (!parsed.ok()) {
    std::fprintf(stderr, "hearth-launch: %s\n", parsed.status().message().c_str());
    return 2;
  }
  hearth::launcher::LauncherArgs args = *parsed;
  const int count = args.ninstances > 0 ? args.ninstances : 1;
  const int only_rank = args.rank;
  args.ninstances = -1;
  args.rank = -1;
  const std::string log_path = args.log_path;
  auto env = hearth::config::CurrentEnvironment();
  auto launcher = hearth::launcher::Launcher::Create(args, env, {});
  if (!launcher.ok()) {
    std::fprintf(stderr, "hearth-launch: %s\n", launcher.status().message().c_str());
    return 2;
  }
  std::string prefix = args.log_file_prefix;
  FILE* launcher_log = stderr;
  if (!log_path.empty()) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", std::localtime(&now));
    prefix += std::string("_") + stamp;
    ::mkdir(log_path.c_str(), 0755);
    launcher_log = std::fopen((log_path + "/" + prefix + "_instances.log").c_str(), "w");
    if (!launcher_log) launcher_log = stderr;
  }
  for (const auto& w : (*launcher)->warnings()) {
    std::fprintf(launcher_log, "%s - __main__ - WARNING - %s\n", Stamp().c_str(), w.c_str());
  }
  std::vector<pid_t> children;
  for (int slot = 0; slot < count; ++slot) {
    if (only_rank >= 0 && slot != only_rank) continue;
    auto placed = (*launcher)->Place(slot, count, "instance-" + std::to_string(slot), program);
    if (!placed.ok()) {
      std::fprintf(stderr, "hearth-launch: %s\n", placed.status().message().c_str());
      return 2;
    }
    for (const auto& line : placed->log) {
      std::fprintf(launcher_log, "%s - __main__ - %s - %s\n", Stamp().c_str(), line.level.c_str(), line.text.c_str());
    }
    std::fflush(launcher_log);
    if (dry_run) continue;
    std::string out_file;
    if (!log_path.empty()) {
      std::string cpus = hearth::FormatCpuList(placed->cpus);
      for (char& c : cpus) {
        if (c == ',') c = '_';
      }
      out_file = log_path + "/" + prefix + "_instance_" + std::to_string(slot) + "_cores_" + cpus + ".log";
    }
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      std::vector<int> membind;
      for (const auto& [k, v] : placed->env) {
        ::setenv(k.c_str(), v.c_str(), 1);
        if (k == "HEARTH_WORKER_MEMBIND" && !v.empty()) membind = *hearth::ParseCpuList(v);
      }
      bool bind = false;
      for (const auto& [k, v] : placed->env) bind = bind || (k == "HEARTH_WORKER_BIND" && v == "1");
      if (bind) {
        auto applied = hearth::launcher::ApplyPlacement(placed->cpus, membind);
        if (!applied.ok()) {
          std::fprintf(stderr, "hearth-launch: %s\n", applied.status().message().c_str());
          _exit(127);
        }
        for (const auto& w : applied->warnings) std::fprintf(stderr, "hearth-launch: %s\n", w.c_str());
      }
      if (!out_file.empty()) {
        int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
          dup2(fd, 1);
          dup2(fd, 2);
          ::close(fd);
        }
      }
      std::vector<char*> cargv;
      for (auto& a : program) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execvp(cargv[0], cargv.data());
      std::fprintf(stderr, "hearth-launch: cannot run %s: %s\n", cargv[0], std::strerror(errno));
      _exit(127);
    }
    children.push_back(pid);
  }
  int rc = 0;
  for (pid_t pid : children) {
    int st = 0;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (code != 0 && rc == 0) rc = code;
  }
  return rc;
}
