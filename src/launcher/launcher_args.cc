#include "launcher/launcher_args.h"

#include <map>

#include "common/strings.h"

namespace hearth::launcher {
namespace {

enum class Kind { kFlag, kValue };

struct OptionSpec {
  const char* canonical;
  Kind kind;
  std::vector<std::string> spellings;  // normalized: no dashes, '_' separators
};

const std::vector<OptionSpec>& Options() {
  static const std::vector<OptionSpec> options = {
      {"use_logical_core", Kind::kFlag, {"use_logical_core", "use_logical_cores"}},
      {"disable_numactl", Kind::kFlag, {"disable_numactl"}},
      {"disable_taskset", Kind::kFlag, {"disable_taskset"}},
      {"enable_tcmalloc", Kind::kFlag, {"enable_tcmalloc"}},
      {"enable_jemalloc", Kind::kFlag, {"enable_jemalloc"}},
      {"use_default_allocator", Kind::kFlag, {"use_default_allocator"}},
      {"memory_allocator", Kind::kValue, {"memory_allocator"}},
      {"disable_iomp", Kind::kFlag, {"disable_iomp"}},
      {"enable_iomp", Kind::kFlag, {"enable_iomp"}},
      {"omp_runtime", Kind::kValue, {"omp_runtime"}},
      {"node_id", Kind::kValue, {"node_id"}},
      {"socket_id", Kind::kValue, {"socket_id"}},
      {"nodes_list", Kind::kValue, {"nodes_list"}},
      {"ninstances", Kind::kValue, {"ninstances"}},
      {"ncores_per_instance", Kind::kValue, {"ncore_per_instance", "ncores_per_instance"}},
      {"rank", Kind::kValue, {"rank", "instance_idx"}},
      {"core_list", Kind::kValue, {"core_list", "cores_list"}},
      {"skip_cross_node_cores", Kind::kFlag, {"skip_cross_node_cores"}},
      {"bind_numa_node", Kind::kFlag, {"bind_numa_node"}},
      {"strategy", Kind::kValue, {"strategy"}},
      {"latency_mode", Kind::kFlag, {"latency_mode", "latency_performance"}},
      {"throughput_mode", Kind::kFlag, {"throughput_mode", "throughput_performance"}},
      {"multi_instance", Kind::kFlag, {"multi_instance"}},
      {"use_e_cores", Kind::kFlag, {"use_e_cores"}},
      {"benchmark", Kind::kFlag, {"benchmark"}},
      {"multi_task_manager", Kind::kValue, {"multi_task_manager"}},
      {"log_path", Kind::kValue, {"log_path", "log_dir"}},
      {"log_file_prefix", Kind::kValue, {"log_file_prefix"}},
      {"kmp_affinity", Kind::kValue, {"kmp_affinity"}},
      // Distributed and auto-IPEX options: accepted, ignored.
      {"nnodes", Kind::kValue, {"nnodes"}},
      {"nproc_per_node", Kind::kValue, {"nproc_per_node"}},
      {"ccl_worker_count", Kind::kValue, {"ccl_worker_count"}},
      {"master_addr", Kind::kValue, {"master_addr"}},
      {"master_port", Kind::kValue, {"master_port"}},
      {"hostfile", Kind::kValue, {"hostfile"}},
      {"auto_ipex", Kind::kFlag, {"auto_ipex"}},
      {"distributed", Kind::kFlag, {"distributed"}},
      {"no_python", Kind::kFlag, {"no_python"}},
      {"module", Kind::kFlag, {"module", "m"}},
  };
  return options;
}

std::string Normalize(std::string_view token) {
  while (!token.empty() && token.front() == '-') token.remove_prefix(1);
  std::string out(token);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

// Exact spelling, else an unambiguous prefix (argparse's allow_abbrev).
const OptionSpec* Lookup(const std::string& name) {
  const OptionSpec* prefix_match = nullptr;
  bool ambiguous = false;
  for (const auto& o : Options()) {
    for (const auto& s : o.spellings) {
      if (s == name) return &o;
    }
  }
  for (const auto& o : Options()) {
    for (const auto& s : o.spellings) {
      if (StartsWith(s, name)) {
        if (prefix_match && prefix_match != &o) ambiguous = true;
        prefix_match = &o;
      }
    }
  }
  return ambiguous ? nullptr : prefix_match;
}

}  // namespace

std::vector<std::string> TokenizeArgs(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  bool in_token = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else current += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_token = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_token) tokens.push_back(current);
      current.clear();
      in_token = false;
      continue;
    }
    current += c;
    in_token = true;
  }
  if (in_token) tokens.push_back(current);
  return tokens;
}

StatusOr<LauncherArgs> ParseLauncherArgs(const std::vector<std::string>& tokens) {
  LauncherArgs a;
  bool tcmalloc = false, jemalloc = false, default_alloc = false;
  std::map<std::string, std::string> values;  // canonical -> last value
  std::vector<std::string> flags;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (!StartsWith(token, "-")) {
      a.warnings.push_back("ignoring unexpected launcher argument " + token);
      continue;
    }
    std::string name = Normalize(token);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = token.substr(token.find('=') + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = Lookup(name);
    if (!spec) {
      a.warnings.push_back("ignoring unknown launcher argument " + token);
      continue;
    }
    if (spec->kind == Kind::kValue) {
      if (inline_value) {
        values[spec->canonical] = *inline_value;
      } else if (i + 1 < tokens.size()) {
        values[spec->canonical] = tokens[++i];
      } else {
        return InvalidArgument("launcher argument " + token + " needs a value");
      }
    } else {
      flags.push_back(spec->canonical);
    }
  }
  for (const auto& f : flags) {
    if (f == "use_logical_core") a.use_logical_core = true;
    else if (f == "disable_numactl") a.disable_numactl = true;
    else if (f == "disable_taskset") a.disable_taskset = true;
    else if (f == "enable_tcmalloc") tcmalloc = true;
    else if (f == "enable_jemalloc") jemalloc = true;
    else if (f == "use_default_allocator") default_alloc = true;
    else if (f == "disable_iomp") a.omp = OmpRuntime::kDefault;
    else if (f == "skip_cross_node_cores" || f == "bind_numa_node") a.bind_numa_node = true;
    else if (f == "latency_mode") a.latency_mode = true;
    else if (f == "throughput_mode") a.throughput_mode = true;
    else if (f == "multi_instance") a.multi_instance = true;
    else if (f == "use_e_cores") a.use_e_cores = true;
    else if (f == "benchmark") a.benchmark = true;
    else if (f == "enable_iomp") {
    } else {
      a.warnings.push_back("launcher argument --" + f + " does not apply to Hearth workers; ignored");
    }
  }
  if (tcmalloc && jemalloc) return InvalidArgument("Unable to enable TCMalloc and JEMalloc at the same time.");
  if (tcmalloc) {
    a.allocator = Allocator::kTcmalloc;
    a.allocator_forced = true;
  } else if (jemalloc) {
    a.allocator = Allocator::kJemalloc;
    a.allocator_forced = true;
  } else if (default_alloc) {
    a.allocator = Allocator::kDefault;
  }
  auto int_value = [&](const char* key, int& out) -> Status {
    auto it = values.find(key);
    if (it == values.end()) return Status::Ok();
    auto v = ParseInt(it->second);
    if (!v) return InvalidArgument("launcher argument --" + std::string(key) + ": expected an integer, got " + it->second);
    out = *v;
    return Status::Ok();
  };
  RETURN_IF_ERROR(int_value("node_id", a.node_id));
  RETURN_IF_ERROR(int_value("socket_id", a.socket_id));
  RETURN_IF_ERROR(int_value("ninstances", a.ninstances));
  RETURN_IF_ERROR(int_value("rank", a.rank));
  RETURN_IF_ERROR(int_value("ncores_per_instance", a.ncores_per_instance));
  if (auto it = values.find("memory_allocator"); it != values.end()) {
    std::string v = ToLower(it->second);
    if (v == "auto") a.allocator = Allocator::kAuto;
    else if (v == "default") a.allocator = Allocator::kDefault;
    else if (v == "tcmalloc") { a.allocator = Allocator::kTcmalloc; a.allocator_forced = true; }
    else if (v == "jemalloc") { a.allocator = Allocator::kJemalloc; a.allocator_forced = true; }
    else a.warnings.push_back("[WrongArgument]Designated memory allocator '" + it->second +
                              "' is unknown. Changing it to 'auto'.");
  }
  if (auto it = values.find("omp_runtime"); it != values.end()) {
    std::string v = ToLower(it->second);
    if (v == "auto") a.omp = OmpRuntime::kAuto;
    else if (v == "default") a.omp = OmpRuntime::kDefault;
    else if (v == "intel") a.omp = OmpRuntime::kIntel;
    else a.warnings.push_back("unknown --omp-runtime '" + it->second + "'; using auto");
  }
  if (auto it = values.find("nodes_list"); it != values.end()) {
    auto nodes = ParseCpuList(it->second);
    if (!nodes) return InvalidArgument("launcher argument --nodes-list: malformed list " + it->second);
    a.nodes_list = *nodes;
  }
  if (auto it = values.find("core_list"); it != values.end()) {
    std::string list = it->second;
    for (char& c : list) {
      if (c == ' ') c = ',';
    }
    std::string cleaned;
    for (const auto& part : Split(list, ',')) {
      if (!Trim(part).empty()) cleaned += (cleaned.empty() ? "" : ",") + std::string(Trim(part));
    }
    auto cores = ParseCpuList(cleaned);
    if (!cores) return InvalidArgument("launcher argument --core-list: malformed list " + it->second);
    a.core_list = *cores;
  }
  if (auto it = values.find("strategy"); it != values.end()) {
    if (it->second != "close" && it->second != "scatter") {
      return InvalidArgument("launcher argument --strategy must be close or scatter, got " + it->second);
    }
    a.strategy = it->second;
  }
  if (auto it = values.find("multi_task_manager"); it != values.end()) {
    if (it->second == "none") {
      a.disable_numactl = true;
      a.disable_taskset = true;
    } else if (it->second == "taskset") {
      a.disable_numactl = true;
    }
  }
  if (auto it = values.find("log_path"); it != values.end()) a.log_path = it->second;
  if (auto it = values.find("log_file_prefix"); it != values.end()) a.log_file_prefix = it->second;
  if (auto it = values.find("kmp_affinity"); it != values.end()) a.kmp_affinity = it->second;
  if (a.latency_mode && a.throughput_mode) {
    return InvalidArgument("Either args.latency_mode or args.throughput_mode should be set");
  }
  for (const char* ignored : {"nnodes", "nproc_per_node", "ccl_worker_count", "master_addr", "master_port",
                              "hostfile"}) {
    if (values.count(ignored)) {
      a.warnings.push_back("launcher argument --" + std::string(ignored) +
                           " (distributed) does not apply to Hearth workers; ignored");
    }
  }
  return a;
}

}  // namespace hearth::launcher
