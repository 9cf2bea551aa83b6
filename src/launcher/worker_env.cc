#include "launcher/worker_env.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/strings.h"

namespace hearth::launcher {
namespace fs = std::filesystem;

Libraries FindLibraries(const std::map<std::string, std::string>& env) {
  Libraries libs;
  auto get = [&](const char* k) -> std::string {
    auto it = env.find(k);
    return it == env.end() ? "" : it->second;
  };
  std::vector<std::string> dirs;
  if (!get("CONDA_PREFIX").empty()) dirs.push_back(get("CONDA_PREFIX") + "/lib");
  if (!get("VIRTUAL_ENV").empty()) dirs.push_back(get("VIRTUAL_ENV") + "/lib");
  if (!get("HOME").empty()) dirs.push_back(get("HOME") + "/.local/lib");
  for (const char* d : {"/usr/local/lib", "/usr/local/lib64", "/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu"}) {
    dirs.push_back(d);
  }
  libs.searched_dirs = dirs;
  auto find = [&](std::initializer_list<const char*> names) -> std::string {
    for (const auto& dir : dirs) {
      for (const char* name : names) {
        fs::path p = fs::path(dir) / name;
        std::error_code ec;
        if (fs::exists(p, ec)) return p.string();
      }
    }
    return "";
  };
  libs.tcmalloc = find({"libtcmalloc.so", "libtcmalloc.so.4"});
  if (libs.tcmalloc.empty()) libs.tcmalloc = find({"libtcmalloc_minimal.so.4"});
  libs.jemalloc = find({"libjemalloc.so", "libjemalloc.so.2"});
  libs.iomp = find({"libiomp5.so", "libomp.so.5", "libomp5.so", "libomp.so"});
  if (!libs.iomp.empty()) {
    std::error_code ec;
    std::string real = fs::canonical(libs.iomp, ec).string();
    bool llvm = real.find("llvm") != std::string::npos || fs::path(real).filename().string().rfind("libomp", 0) == 0;
    libs.iomp_flavour = llvm ? "llvm-libomp" : "intel-iomp5";
  }
  return libs;
}

WorkerEnvironment BuildWorkerEnvironment(const LauncherArgs& args, const Libraries& libs, const Topology& topology,
                                         const Plan& plan, const WorkerIdentity& who,
                                         const std::map<std::string, std::string>& preset) {
  WorkerEnvironment out;
  const WorkerPlacement& w = plan.workers.at(static_cast<size_t>(who.slot));
  const std::string cpus = FormatCpuList(w.cpus);
  const int n = static_cast<int>(w.cpus.size());
  auto info = [&](const std::string& t) { out.log.push_back({"INFO", t}); };
  auto warn = [&](const std::string& t) { out.log.push_back({"WARNING", t}); };
  auto set = [&](const std::string& key, const std::string& value) {
    auto it = preset.find(key);
    if (it != preset.end() && it->second != value) {
      warn("Overriding value with the one set in environment variable: " + key + ". Value applied: " + it->second +
           ". Value ignored: " + value);
      out.vars.emplace_back(key, it->second);
      return it->second;
    }
    out.vars.emplace_back(key, value);
    return value;
  };
  const std::string dirs = Join(libs.searched_dirs, " or ");

  if (who.count > 1) info("assigning " + std::to_string(n) + " cores for instance " + std::to_string(who.slot));
  // Allocator.
  std::string allocator_path;
  switch (args.allocator) {
    case Allocator::kTcmalloc:
      if (libs.tcmalloc.empty()) {
        warn("Unable to find the TCmalloc library file libtcmalloc.so in " + dirs +
             " so the LD_PRELOAD environment variable will not be set. you can use \"apt-get install "
             "libgoogle-perftools4\" to install TCmalloc");
      } else {
        allocator_path = libs.tcmalloc;
        out.allocator = "tcmalloc:" + allocator_path;
      }
      break;
    case Allocator::kJemalloc:
      if (libs.jemalloc.empty()) {
        warn("Unable to find the Jemalloc library file libjemalloc.so in " + dirs +
             " so the LD_PRELOAD environment variable will not be set. you can use \"apt-get install libjemalloc2\" "
             "to install Jemalloc");
      } else {
        allocator_path = libs.jemalloc;
        out.allocator = "jemalloc:" + allocator_path;
      }
      break;
    case Allocator::kAuto:
      if (!libs.tcmalloc.empty()) {
        allocator_path = libs.tcmalloc;
        out.allocator = "tcmalloc:" + allocator_path;
      } else if (!libs.jemalloc.empty()) {
        allocator_path = libs.jemalloc;
        out.allocator = "jemalloc:" + allocator_path;
      } else {
        warn("Neither TCMalloc nor JeMalloc is found in " + dirs +
             " so the LD_PRELOAD environment variable will not be set. This may drop the performance");
      }
      break;
    case Allocator::kDefault:
      break;
  }
  if (out.allocator.empty()) out.allocator = "default";
  if (StartsWith(out.allocator, "tcmalloc")) info("Use TCMalloc memory allocator");
  if (StartsWith(out.allocator, "jemalloc")) {
    info("Use JeMalloc memory allocator");
    std::string conf = args.benchmark ? "oversize_threshold:1,background_thread:false,metadata_thp:always,"
                                        "dirty_decay_ms:-1,muzzy_decay_ms:-1"
                                      : "oversize_threshold:1,background_thread:true,metadata_thp:auto";
    info("MALLOC_CONF=" + set("MALLOC_CONF", conf));
  }
  info("OMP_NUM_THREADS=" + set("OMP_NUM_THREADS", std::to_string(n)));
  // OpenMP runtime.
  std::string omp_path;
  if (args.omp != OmpRuntime::kDefault) {
    if (!libs.iomp.empty()) {
      omp_path = libs.iomp;
    } else if (args.omp == OmpRuntime::kIntel) {
      warn("Unable to find the iomp library file libiomp5.so in " + dirs +
           " so the LD_PRELOAD environment variable will not be set. you can use \"apt-get install libomp5\" to "
           "install iomp");
    }
  }
  const bool binder = !args.disable_taskset;
  out.binder = binder ? "inprocess" : "none";
  if (!omp_path.empty()) {
    out.omp = libs.iomp_flavour + ":" + omp_path;
    info("Using Intel OpenMP");
    const bool logical_without_node = args.use_logical_core && args.node_id < 0;
    if (!args.kmp_affinity.empty()) {
      info("KMP_AFFINITY=" + set("KMP_AFFINITY", args.kmp_affinity));
    } else if (!binder) {
      info("KMP_AFFINITY=" + set("KMP_AFFINITY", "granularity=fine,proclist=[" + cpus + "],explicit"));
    } else if (!logical_without_node) {
      info("KMP_AFFINITY=" + set("KMP_AFFINITY", "granularity=fine,compact,1,0"));
    }
    info("KMP_BLOCKTIME=" + set("KMP_BLOCKTIME", "1"));
  } else {
    out.omp = "gnu";
    set("OMP_SCHEDULE", "STATIC");
    set("OMP_PROC_BIND", "CLOSE");
    if (!binder) set("GOMP_CPU_AFFINITY", cpus);
  }
  // LD_PRELOAD: OpenMP runtime, allocator, then whatever was there.
  std::vector<std::string> preload;
  if (!omp_path.empty()) preload.push_back(omp_path);
  if (!allocator_path.empty()) preload.push_back(allocator_path);
  if (auto it = preset.find("LD_PRELOAD"); it != preset.end()) {
    for (const auto& item : Split(it->second, ':')) {
      if (item.empty()) continue;
      std::error_code ec;
      if (!fs::exists(item, ec)) {
        warn(item + " doesn't exist. Removing it from LD_PRELOAD.");
        continue;
      }
      if (std::find(preload.begin(), preload.end(), item) == preload.end()) preload.push_back(item);
    }
  }
  if (!preload.empty()) {
    std::string value = Join(preload, ":");
    out.vars.emplace_back("LD_PRELOAD", value);
    info("LD_PRELOAD=" + value);
  }
  if (w.crosses_nodes) {
    warn("Numa Aware: cores:" + PythonList(w.cpus) + " on different NUMA nodes:" + PythonList(w.nodes) +
         ". To avoid this behavior, please use --ncores-per-instance knob to make sure number of cores is divisible "
         "by --ncores-per-instance. Alternatively, please use --skip-cross-node-cores knob.");
  }
  std::string argv = Join(who.argv, " ");
  if (binder) {
    if (!w.membind_nodes.empty()) {
      info("numactl -C " + cpus + " -m " + FormatCpuList(w.membind_nodes) + " " + argv);
    } else {
      info("taskset -c " + cpus + " " + argv);
    }
  } else {
    info(argv);
  }
  int total_cpus = static_cast<int>(topology.cpus.size());
  int cores = 0;
  {
    std::vector<std::vector<int>> seen;
    for (const auto& c : topology.cpus) {
      if (std::find(seen.begin(), seen.end(), c.siblings) == seen.end()) seen.push_back(c.siblings);
    }
    cores = static_cast<int>(seen.size());
  }
  info("hearth: topology source=" + topology.source + " nodes=" + std::to_string(topology.Nodes().size()) +
       " cores=" + std::to_string(cores) + " cpus=" + std::to_string(total_cpus) + " allowed=" +
       FormatCpuList(topology.allowed) + " mems=" + FormatCpuList(topology.memory_nodes) + " quota=" +
       (topology.cpu_quota ? std::to_string(*topology.cpu_quota) : "none") + " units=" + std::to_string(plan.units) +
       "(" + plan.unit_kind + ")");
  info("hearth: worker=" + who.name + " slot=" + std::to_string(who.slot) + "/" + std::to_string(who.count) +
       " cpus=" + cpus + " ncpus=" + std::to_string(n) + " nodes=" + FormatCpuList(w.nodes) + " membind=" +
       (w.membind_nodes.empty() ? "none" : FormatCpuList(w.membind_nodes)) + " binder=" + out.binder +
       " allocator=" + out.allocator + " omp=" + out.omp);
  out.vars.emplace_back("HEARTH_WORKER_CPUS", cpus);
  out.vars.emplace_back("HEARTH_WORKER_NODES", FormatCpuList(w.nodes));
  out.vars.emplace_back("HEARTH_WORKER_MEMBIND", binder ? FormatCpuList(w.membind_nodes) : "");
  out.vars.emplace_back("HEARTH_WORKER_BIND", binder ? "1" : "0");
  out.vars.emplace_back("HEARTH_WORKER_SLOT", std::to_string(who.slot));
  out.vars.emplace_back("HEARTH_WORKER_COUNT", std::to_string(who.count));
  return out;
}

}  // namespace hearth::launcher
