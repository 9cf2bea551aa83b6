#include "launcher/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"

namespace hearth::launcher {
namespace {

using Unit = std::vector<int>;  // CPUs

struct Core {
  int node = 0;
  int representative = 0;     // lowest allowed sibling
  std::vector<int> cpus;      // allowed siblings, representative first
};

std::vector<Core> CoresOf(const Topology& t, const std::vector<int>& region) {
  std::map<std::vector<int>, Core> by_siblings;
  for (int id : region) {
    const Cpu* cpu = t.Find(id);
    if (!cpu) continue;
    auto& core = by_siblings[cpu->siblings];
    core.cpus.push_back(id);
  }
  std::vector<Core> cores;
  for (auto& [siblings, core] : by_siblings) {
    std::sort(core.cpus.begin(), core.cpus.end());
    core.representative = core.cpus.front();
    core.node = t.Find(core.representative)->node;
    cores.push_back(core);
  }
  std::sort(cores.begin(), cores.end(), [](const Core& a, const Core& b) {
    return std::tie(a.node, a.representative) < std::tie(b.node, b.representative);
  });
  return cores;
}

int NodeOf(const Topology& t, const Unit& u) { return t.Find(u.front())->node; }

std::vector<Unit> EqualSplit(const std::vector<Unit>& units, int n, bool spread, std::vector<int>& idle) {
  std::vector<Unit> pools;
  const int count = static_cast<int>(units.size());
  const int size = count / n;
  int extra = spread ? count - size * n : 0;
  int next = 0;
  for (int i = 0; i < n; ++i) {
    int take = size + (extra > 0 ? 1 : 0);
    if (extra > 0) --extra;
    Unit pool;
    for (int k = 0; k < take; ++k) pool.insert(pool.end(), units[next + k].begin(), units[next + k].end());
    next += take;
    pools.push_back(pool);
  }
  for (; next < count; ++next) idle.insert(idle.end(), units[next].begin(), units[next].end());
  return pools;
}

// NUMA-proportional split: no pool crosses a node (IPEX 2.4's --bind-numa-node).
std::vector<std::vector<Unit>> ByNode(const Topology& t, const std::vector<Unit>& units) {
  std::map<int, std::vector<Unit>> nodes;
  for (const auto& u : units) nodes[NodeOf(t, u)].push_back(u);
  std::vector<std::vector<Unit>> out;
  for (auto& [node, list] : nodes) out.push_back(list);
  return out;
}

std::vector<Unit> NumaSplit(const Topology& t, const std::vector<Unit>& units, int n, std::vector<int>& idle) {
  auto nodes = ByNode(t, units);
  const int m = static_cast<int>(nodes.size());
  std::vector<long> c(m), pools(m);
  long total = 0;
  for (int j = 0; j < m; ++j) total += c[j] = static_cast<long>(nodes[j].size());
  long sum = 0;
  for (int j = 0; j < m; ++j) {
    pools[j] = (static_cast<long>(n) * c[j]) / total;
    if (pools[j] == 0 || (static_cast<long>(n) * c[j]) % total > 0) pools[j] += 1;
    sum += pools[j];
  }
  for (long excess = sum - n; excess > 0; --excess) {
    int best = -1;
    double best_r = 0;
    for (int j = 0; j < m; ++j) {
      double r = pools[j] == 1 ? static_cast<double>(total) : static_cast<double>(c[j]) / pools[j];
      if (best < 0 || r < best_r) {
        best = j;
        best_r = r;
      }
    }
    if (best_r == static_cast<double>(total)) break;
    pools[best] -= 1;
    sum -= 1;
  }
  if (sum > n) {
    std::vector<int> order(m);
    for (int j = 0; j < m; ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return c[a] != c[b] ? c[a] < c[b] : a > b; });
    for (int k = 0; k < m && sum > n; ++k) {
      if (pools[order[k]] > 0) {
        pools[order[k]] -= 1;
        sum -= 1;
      }
    }
  }
  std::vector<Unit> out;
  for (int j = 0; j < m; ++j) {
    if (pools[j] == 0) {
      for (const auto& u : nodes[j]) idle.insert(idle.end(), u.begin(), u.end());
      continue;
    }
    auto split = EqualSplit(nodes[j], static_cast<int>(pools[j]), false, idle);
    out.insert(out.end(), split.begin(), split.end());
  }
  return out;
}

}  // namespace

std::string PythonList(const std::vector<int>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

StatusOr<Plan> PlanWorkers(const Topology& t, const LauncherArgs& args, int n, const PlanOptions& options) {
  if (n < 1) return InvalidArgument("no workers to place");
  Plan plan;
  // 1. Candidate CPUs and the region.
  std::vector<int> candidates;
  for (int id : t.allowed) {
    const Cpu* cpu = t.Find(id);
    if (cpu && (!cpu->efficiency_core || args.use_e_cores)) candidates.push_back(id);
  }
  std::vector<int> region;
  auto valid_nodes = t.Nodes();
  const bool latency = args.latency_mode;
  const bool throughput = args.throughput_mode || (args.multi_instance && args.ncores_per_instance <= 0);
  if (latency || throughput) {
    if (args.ninstances > 0 || args.ncores_per_instance > 0 || args.node_id >= 0 || args.use_logical_core) {
      plan.warnings.push_back(std::string(latency ? "--latency-mode" : "--throughput-mode") +
                              " is exclusive to --ninstances, --ncores-per-instance, --node-id and "
                              "--use-logical-core. They won't take effect even they are set explicitly.");
    }
    region = candidates;
  } else if (!args.core_list.empty()) {
    std::vector<int> dropped;
    for (int id : args.core_list) {
      if (std::binary_search(candidates.begin(), candidates.end(), id)) region.push_back(id);
      else dropped.push_back(id);
    }
    if (!dropped.empty()) {
      plan.warnings.push_back("--core_list CPUs " + FormatCpuList(dropped) +
                              " are not available to this process (cpuset) and are dropped");
    }
  } else if (args.node_id >= 0) {
    if (std::find(valid_nodes.begin(), valid_nodes.end(), args.node_id) == valid_nodes.end()) {
      return InvalidArgument("Invalid node id: " + std::to_string(args.node_id) + ". Valid node ids: " +
                             PythonList(valid_nodes));
    }
    for (int id : candidates) {
      if (t.Find(id)->node == args.node_id) region.push_back(id);
    }
  } else if (args.socket_id >= 0) {
    std::set<int> packages;
    for (int id : candidates) {
      packages.insert(t.Find(id)->package);
      if (t.Find(id)->package == args.socket_id) region.push_back(id);
    }
    if (region.empty()) {
      return InvalidArgument("Invalid socket id: " + std::to_string(args.socket_id) + ". Valid socket ids: " +
                             PythonList({packages.begin(), packages.end()}));
    }
  } else if (!args.nodes_list.empty()) {
    for (int node : args.nodes_list) {
      if (std::find(valid_nodes.begin(), valid_nodes.end(), node) == valid_nodes.end()) {
        return InvalidArgument("Invalid node id: " + std::to_string(node) + ". Valid node ids: " +
                               PythonList(valid_nodes));
      }
    }
    for (int id : candidates) {
      int node = t.Find(id)->node;
      if (std::find(args.nodes_list.begin(), args.nodes_list.end(), node) != args.nodes_list.end()) {
        region.push_back(id);
      }
    }
  } else {
    region = candidates;
  }
  if (region.empty()) return InvalidArgument("the launcher's CPU region is empty (check --core_list/--node_id)");

  // 2. Units.
  std::vector<Core> cores = CoresOf(t, region);
  const bool logical = args.use_logical_core && !latency && !throughput;
  std::vector<Unit> units;
  if (logical && n <= static_cast<int>(cores.size())) {
    for (const auto& c : cores) units.push_back(c.cpus);
    plan.unit_kind = "logical";
  } else if (!logical && n <= static_cast<int>(cores.size())) {
    for (const auto& c : cores) units.push_back({c.representative});
    plan.unit_kind = "physical";
  } else {
    for (const auto& c : cores) {
      for (int cpu : c.cpus) units.push_back({cpu});
    }
    plan.unit_kind = "cpu";
    if (n <= static_cast<int>(units.size()) && !logical) {
      plan.warnings.push_back(std::to_string(n) + " workers > " + std::to_string(cores.size()) +
                              " physical cores; using logical cores");
    }
  }
  // A cgroup quota of q CPUs: keep the first q.
  if (t.cpu_quota) {
    int cpus = 0;
    for (const auto& u : units) cpus += static_cast<int>(u.size());
    if (*t.cpu_quota < cpus) {
      std::vector<Unit> kept;
      int used = 0;
      for (const auto& u : units) {
        if (used + static_cast<int>(u.size()) > *t.cpu_quota && !kept.empty()) break;
        kept.push_back(u);
        used += static_cast<int>(u.size());
      }
      plan.warnings.push_back("CPU quota of " + std::to_string(*t.cpu_quota) + " CPUs (cgroup): using " +
                              std::to_string(used) + " of " + std::to_string(cpus) + " CPUs");
      units = kept;
    }
  }
  // A user's --ninstances K --rank r narrows the region to pool r of a K-way split.
  if (args.ninstances > 0 && args.rank >= 0 && !latency && !throughput) {
    if (args.rank >= args.ninstances) {
      return InvalidArgument("--rank " + std::to_string(args.rank) + " is not below --ninstances " +
                             std::to_string(args.ninstances));
    }
    std::vector<int> ignored;
    int size = static_cast<int>(units.size()) / args.ninstances;
    if (size == 0) return InvalidArgument("--ninstances " + std::to_string(args.ninstances) + " exceeds the " +
                                          std::to_string(units.size()) + " available units");
    units = std::vector<Unit>(units.begin() + args.rank * size, units.begin() + (args.rank + 1) * size);
  } else if (args.ninstances > 0 && !latency && !throughput) {
    plan.warnings.push_back("--ninstances without --rank is ignored: the server decides the number of workers (" +
                            std::to_string(n) + ")");
  }
  plan.units = static_cast<int>(units.size());
  const int count = static_cast<int>(units.size());

  // 3. Split.
  std::vector<Unit> pools;
  if (latency) {
    std::vector<Unit> chunks;
    for (int i = 0; i + 4 <= count; i += 4) {
      Unit u;
      for (int k = 0; k < 4; ++k) u.insert(u.end(), units[i + k].begin(), units[i + k].end());
      chunks.push_back(u);
    }
    if (chunks.empty()) {
      Unit all;
      for (const auto& u : units) all.insert(all.end(), u.begin(), u.end());
      chunks.push_back(all);
    }
    for (int i = 0; i < n; ++i) pools.push_back(chunks[i % chunks.size()]);
    if (n > static_cast<int>(chunks.size())) {
      plan.warnings.push_back(std::to_string(n) + " workers > " + std::to_string(chunks.size()) +
                              " pools; pools wrap, workers share cpus");
    }
  } else if (args.ncores_per_instance > 0) {
    const int k = args.ncores_per_instance;
    std::vector<Unit> chunks;
    if (args.bind_numa_node) {
      for (const auto& node_units : ByNode(t, units)) {
        for (size_t i = 0; i + k <= node_units.size(); i += k) {
          Unit u;
          for (int j = 0; j < k; ++j) u.insert(u.end(), node_units[i + j].begin(), node_units[i + j].end());
          chunks.push_back(u);
        }
      }
    } else {
      for (int i = 0; i + k <= count; i += k) {
        Unit u;
        for (int j = 0; j < k; ++j) u.insert(u.end(), units[i + j].begin(), units[i + j].end());
        chunks.push_back(u);
      }
    }
    if (chunks.empty()) {
      return InvalidArgument("--ncores_per_instance " + std::to_string(k) + " exceeds the " + std::to_string(count) +
                             " available units");
    }
    const int c = static_cast<int>(chunks.size());
    if (n <= c) {
      if (args.strategy == "scatter") {
        int step = (c + n - 1) / n;
        for (int i = 0; i < n; ++i) pools.push_back(chunks[(i * step) % c]);
      } else {
        pools.assign(chunks.begin(), chunks.begin() + n);
      }
    } else {
      for (int i = 0; i < n; ++i) pools.push_back(chunks[i % c]);
      plan.warnings.push_back(std::to_string(n) + " workers > " + std::to_string(c) +
                              " pools; pools wrap, workers share cpus");
    }
    std::set<int> used;
    for (const auto& p : pools) used.insert(p.begin(), p.end());
    for (const auto& u : units) {
      for (int cpu : u) {
        if (!used.count(cpu)) plan.idle_cpus.push_back(cpu);
      }
    }
  } else if (n > count) {
    for (int i = 0; i < n; ++i) pools.push_back(units[i % count]);
    plan.warnings.push_back(std::to_string(n) + " workers > " + std::to_string(count) +
                            " pools; pools wrap, workers share cpus");
  } else if (args.bind_numa_node || throughput) {
    pools = NumaSplit(t, units, n, plan.idle_cpus);
  } else {
    pools = EqualSplit(units, n, options.spread_leftover, plan.idle_cpus);
  }

  // 4. Nodes and memory binding.
  for (auto& pool : pools) {
    WorkerPlacement w;
    w.cpus = pool;
    std::sort(w.cpus.begin(), w.cpus.end());
    std::set<int> nodes;
    for (int cpu : w.cpus) nodes.insert(t.Find(cpu)->node);
    w.nodes.assign(nodes.begin(), nodes.end());
    w.crosses_nodes = w.nodes.size() > 1;
    if (!args.disable_numactl) {
      for (int node : w.nodes) {
        if (std::find(t.memory_nodes.begin(), t.memory_nodes.end(), node) != t.memory_nodes.end()) {
          w.membind_nodes.push_back(node);
        }
      }
    }
    plan.workers.push_back(w);
  }
  std::sort(plan.idle_cpus.begin(), plan.idle_cpus.end());
  return plan;
}

}  // namespace hearth::launcher
