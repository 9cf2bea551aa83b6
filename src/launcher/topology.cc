#include "launcher/topology.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/strings.h"

namespace hearth::launcher {
namespace fs = std::filesystem;

const Cpu* Topology::Find(int id) const {
  for (const auto& c : cpus) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

bool Topology::IsAllowed(int id) const { return std::binary_search(allowed.begin(), allowed.end(), id); }

std::vector<int> Topology::Nodes() const {
  std::set<int> nodes;
  for (const auto& c : cpus) {
    if (IsAllowed(c.id)) nodes.insert(c.node);
  }
  return {nodes.begin(), nodes.end()};
}

namespace {

std::optional<std::string> ReadLine(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  return std::string(Trim(line));
}

std::optional<int> ReadInt(const fs::path& path) {
  auto line = ReadLine(path);
  if (!line) return std::nullopt;
  return ParseInt(*line);
}

// Quota in CPUs along this process's cgroup path (v2 cpu.max or v1 cfs), min over ancestors.
std::optional<int> ReadQuota(const TopologySources& s) {
  std::ifstream cg(fs::path(s.proc_self) / "cgroup");
  std::string line;
  std::optional<int> best;
  auto consider = [&](double cpus) {
    int q = std::max(1, static_cast<int>(std::ceil(cpus - 1e-9)));
    if (!best || q < *best) best = q;
  };
  while (std::getline(cg, line)) {
    // "0::/path" (v2) or "N:cpu,cpuacct:/path" (v1)
    auto parts = Split(line, ':');
    if (parts.size() < 3) continue;
    std::string path = parts[2];
    bool v2 = parts[1].empty();
    bool v1cpu = !v2 && (parts[1].find("cpu") != std::string::npos);
    if (!v2 && !v1cpu) continue;
    fs::path base = v2 ? fs::path(s.cgroup_root) : fs::path(s.cgroup_root) / parts[1];
    // Walk from the cgroup up to the root.
    fs::path p = path;
    while (true) {
      fs::path dir = base / p.relative_path();
      if (v2) {
        if (auto max = ReadLine(dir / "cpu.max")) {
          auto f = Split(*max, ' ');
          if (f.size() == 2 && f[0] != "max") {
            auto quota = ParseDouble(f[0]), period = ParseDouble(f[1]);
            if (quota && period && *period > 0) consider(*quota / *period);
          }
        }
      } else {
        auto quota = ReadInt(dir / "cpu.cfs_quota_us");
        auto period = ReadInt(dir / "cpu.cfs_period_us");
        if (quota && period && *quota > 0 && *period > 0) consider(static_cast<double>(*quota) / *period);
      }
      if (p == "/" || p.empty() || p == p.parent_path()) break;
      p = p.parent_path();
    }
  }
  return best;
}

}  // namespace

StatusOr<Topology> LoadTopology(const TopologySources& s) {
  Topology t;
  fs::path cpu_root = s.sysfs_cpu;
  auto online_text = ReadLine(cpu_root / "online");
  if (!online_text) return Unavailable("cannot read " + (cpu_root / "online").string());
  auto online = ParseCpuList(*online_text);
  if (!online || online->empty()) return Unavailable("malformed " + (cpu_root / "online").string());

  // CPU -> node from node*/cpulist.
  std::map<int, int> node_of;
  std::vector<int> nodes_with_memory;
  std::error_code ec;
  if (fs::is_directory(s.sysfs_node, ec)) {
    for (const auto& e : fs::directory_iterator(s.sysfs_node, ec)) {
      std::string name = e.path().filename().string();
      if (!StartsWith(name, "node")) continue;
      auto id = ParseInt(name.substr(4));
      if (!id) continue;
      if (auto list = ReadLine(e.path() / "cpulist")) {
        if (auto cpus = ParseCpuList(*list)) {
          for (int c : *cpus) node_of[c] = *id;
        }
      }
      bool has_memory = true;
      if (auto mem_nodes = ReadLine(fs::path(s.sysfs_node) / "has_memory")) {
        auto ids = ParseCpuList(*mem_nodes);
        has_memory = ids && std::find(ids->begin(), ids->end(), *id) != ids->end();
      }
      if (has_memory) nodes_with_memory.push_back(*id);
    }
  }
  if (nodes_with_memory.empty()) nodes_with_memory.push_back(0);
  std::sort(nodes_with_memory.begin(), nodes_with_memory.end());

  for (int id : *online) {
    Cpu c;
    c.id = id;
    fs::path topo = cpu_root / ("cpu" + std::to_string(id)) / "topology";
    c.package = ReadInt(topo / "physical_package_id").value_or(0);
    auto siblings = ReadLine(topo / "thread_siblings_list");
    if (!siblings) siblings = ReadLine(topo / "core_cpus_list");
    auto parsed = siblings ? ParseCpuList(*siblings) : std::nullopt;
    c.siblings = parsed && !parsed->empty() ? *parsed : std::vector<int>{id};
    auto it = node_of.find(id);
    c.node = it == node_of.end() ? 0 : it->second;
    t.cpus.push_back(c);
  }
  // Hybrid CPUs: the kernel lists E-cores here.
  if (auto atom = ReadLine(cpu_root.parent_path() / "cpu_atom" / "cpus")) {
    if (auto e = ParseCpuList(*atom)) {
      for (auto& c : t.cpus) c.efficiency_core = std::find(e->begin(), e->end(), c.id) != e->end();
    }
  }

  // Allowed CPUs: online ∩ affinity (which already reflects the cpuset).
  std::vector<int> mask;
  if (!s.affinity_override.empty()) {
    auto parsed = ParseCpuList(s.affinity_override);
    if (!parsed) return InvalidArgument("bad affinity override " + s.affinity_override);
    mask = *parsed;
  } else {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      for (int i = 0; i < CPU_SETSIZE; ++i) {
        if (CPU_ISSET(i, &set)) mask.push_back(i);
      }
    }
  }
  for (int id : *online) {
    if (std::find(mask.begin(), mask.end(), id) != mask.end()) t.allowed.push_back(id);
  }
  if (t.allowed.empty()) return Unavailable("no allowed online CPU");

  // Memory nodes this process may allocate on.
  std::vector<int> mems_allowed = nodes_with_memory;
  std::ifstream status(fs::path(s.proc_self) / "status");
  std::string line;
  while (std::getline(status, line)) {
    if (StartsWith(line, "Mems_allowed_list:")) {
      if (auto list = ParseCpuList(Trim(line.substr(18)))) {
        std::vector<int> both;
        for (int n : nodes_with_memory) {
          if (std::find(list->begin(), list->end(), n) != list->end()) both.push_back(n);
        }
        if (!both.empty()) mems_allowed = both;
      }
    }
  }
  t.memory_nodes = mems_allowed;
  t.cpu_quota = ReadQuota(s);
  return t;
}

}  // namespace hearth::launcher
