// The CPU launcher's planner against the worked examples of the launcher
// reference (fake sysfs trees), and its argument parsing and environment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "launcher/launcher_args.h"
#include "launcher/plan.h"
#include "launcher/topology.h"
#include "launcher/worker_env.h"

namespace hearth::launcher {
namespace {
namespace fs = std::filesystem;

// Writes a sysfs-like tree: `sockets` x `cores` x `threads`, one NUMA node
// per socket. Siblings are numbered "split" (cpu, cpu + all cores; Intel's
// usual numbering) or "adjacent" (2k, 2k+1).
struct FakeSysfs {
  fs::path root;
  FakeSysfs(int sockets, int cores, int threads, bool adjacent, const std::string& cpu_max = "") {
    root = fs::temp_directory_path() / ("hearth-sysfs-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter++));
    fs::remove_all(root);
    const int total_cores = sockets * cores;
    const int total = total_cores * threads;
    std::vector<std::vector<int>> node_cpus(sockets);
    for (int cpu = 0; cpu < total; ++cpu) {
      int core = adjacent ? cpu / threads : cpu % total_cores;
      int socket = core / cores;
      std::vector<int> siblings;
      for (int t = 0; t < threads; ++t) siblings.push_back(adjacent ? core * threads + t : core + t * total_cores);
      fs::path topo = root / "cpu" / ("cpu" + std::to_string(cpu)) / "topology";
      fs::create_directories(topo);
      std::ofstream(topo / "physical_package_id") << socket << "\n";
      std::ofstream(topo / "thread_siblings_list") << FormatCpuList(siblings) << "\n";
      node_cpus[socket].push_back(cpu);
    }
    std::ofstream(root / "cpu" / "online") << "0-" << total - 1 << "\n";
    for (int s = 0; s < sockets; ++s) {
      fs::create_directories(root / "node" / ("node" + std::to_string(s)));
      std::ofstream(root / "node" / ("node" + std::to_string(s)) / "cpulist") << FormatCpuList(node_cpus[s]) << "\n";
    }
    fs::create_directories(root / "proc");
    fs::create_directories(root / "cgroup" / "pod");
    std::ofstream(root / "proc" / "cgroup") << "0::/pod\n";
    if (!cpu_max.empty()) std::ofstream(root / "cgroup" / "pod" / "cpu.max") << cpu_max << "\n";
    std::ofstream(root / "proc" / "status") << "Mems_allowed_list:\t0-" << sockets - 1 << "\n";
  }
  ~FakeSysfs() { fs::remove_all(root); }
  Topology Load(const std::string& affinity) {
    TopologySources s;
    s.sysfs_cpu = (root / "cpu").string();
    s.sysfs_node = (root / "node").string();
    s.cgroup_root = (root / "cgroup").string();
    s.proc_self = (root / "proc").string();
    s.affinity_override = affinity;
    auto t = LoadTopology(s);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return *t;
  }
  static inline int counter = 0;
};

LauncherArgs Args(const std::string& text) {
  auto a = ParseLauncherArgs(TokenizeArgs(text));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return *a;
}

std::string Pools(const Plan& plan) {
  std::string out;
  for (size_t i = 0; i < plan.workers.size(); ++i) out += (i ? "|" : "") + FormatCpuList(plan.workers[i].cpus);
  return out;
}

Plan MakePlan(const Topology& t, const std::string& args, int n) {
  auto plan = PlanWorkers(t, Args(args), n, {});
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : Plan{};
}

// H1: 2 sockets x 28 cores x 2 threads (Xeon 8180).
TEST(LauncherPlanTest, TwoSocketXeon) {
  FakeSysfs sys(2, 28, 2, false);
  Topology t = sys.Load("0-111");
  EXPECT_EQ(Pools(MakePlan(t, "", 1)), "0-55");
  EXPECT_TRUE(MakePlan(t, "", 1).workers[0].crosses_nodes);
  EXPECT_EQ(Pools(MakePlan(t, "", 2)), "0-27|28-55");
  EXPECT_EQ(Pools(MakePlan(t, "", 4)), "0-13|14-27|28-41|42-55");
  Plan three = MakePlan(t, "", 3);
  EXPECT_EQ(Pools(three), "0-17|18-35|36-53");
  EXPECT_EQ(FormatCpuList(three.idle_cpus), "54-55");
  EXPECT_EQ(Pools(MakePlan(t, "--bind-numa-node", 3)), "0-27|28-41|42-55");
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core", 1)), "0-111");
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core", 2)), "0-27,56-83|28-55,84-111");
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core", 4)), "0-13,56-69|14-27,70-83|28-41,84-97|42-55,98-111");
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core --bind-numa-node", 7)),
            "0-8,56-64|9-17,65-73|18-26,74-82|28-34,84-90|35-41,91-97|42-48,98-104|49-55,105-111");
  Plan two = MakePlan(t, "", 2);
  EXPECT_EQ(two.workers[0].membind_nodes, std::vector<int>{0});
  EXPECT_EQ(two.workers[1].membind_nodes, std::vector<int>{1});
  EXPECT_TRUE(MakePlan(t, "--disable_numactl", 2).workers[0].membind_nodes.empty());
}

// H2: 1 socket x 2 cores x 2 threads, siblings 0/2 and 1/3.
TEST(LauncherPlanTest, SmallVm) {
  FakeSysfs sys(1, 2, 2, false);
  Topology t = sys.Load("0-3");
  EXPECT_EQ(Pools(MakePlan(t, "", 1)), "0-1");
  EXPECT_EQ(Pools(MakePlan(t, "", 2)), "0|1");
  Plan four = MakePlan(t, "", 4);
  EXPECT_EQ(Pools(four), "0|2|1|3");
  ASSERT_FALSE(four.warnings.empty());
  EXPECT_NE(four.warnings[0].find("4 workers > 2 physical cores"), std::string::npos);
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core", 2)), "0,2|1,3");
}

// H3: a container limited to cpuset 40-79 on 2 x 40 x 2; node 1 = 40-79,120-159.
TEST(LauncherPlanTest, CpusetContainer) {
  FakeSysfs sys(2, 40, 2, false);
  Topology t = sys.Load("40-79");
  EXPECT_EQ(Pools(MakePlan(t, "", 1)), "40-79");
  EXPECT_EQ(MakePlan(t, "", 1).workers[0].membind_nodes, std::vector<int>{1});
  EXPECT_EQ(Pools(MakePlan(t, "", 2)), "40-59|60-79");
  EXPECT_EQ(Pools(MakePlan(t, "", 4)), "40-49|50-59|60-69|70-79");
}

// H4: adjacent sibling numbering (CPUs 2k, 2k+1 = core k).
TEST(LauncherPlanTest, AdjacentSiblings) {
  FakeSysfs sys(1, 32, 2, true);
  Topology t = sys.Load("0-63");
  Plan one = MakePlan(t, "", 1);
  ASSERT_EQ(one.workers[0].cpus.size(), 32u);
  EXPECT_EQ(one.workers[0].cpus[1], 2);  // one CPU per physical core
  Plan two = MakePlan(t, "", 2);
  EXPECT_EQ(two.workers[0].cpus.front(), 0);
  EXPECT_EQ(two.workers[0].cpus.back(), 30);
  EXPECT_EQ(two.workers[1].cpus.front(), 32);
  EXPECT_EQ(Pools(MakePlan(t, "--use_logical_core", 2)), "0-31|32-63");
}

// H5: 8 cores x 2 with a cgroup quota of 4 CPUs.
TEST(LauncherPlanTest, CgroupQuota) {
  FakeSysfs sys(1, 8, 2, false, "400000 100000");
  Topology t = sys.Load("0-15");
  ASSERT_TRUE(t.cpu_quota);
  EXPECT_EQ(*t.cpu_quota, 4);
  EXPECT_EQ(Pools(MakePlan(t, "", 4)), "0|1|2|3");
  EXPECT_EQ(Pools(MakePlan(t, "", 1)), "0-3");
}

TEST(LauncherPlanTest, RegionOptions) {
  FakeSysfs sys(2, 4, 2, false);  // node0 = 0-3,8-11; node1 = 4-7,12-15
  Topology t = sys.Load("0-15");
  EXPECT_EQ(Pools(MakePlan(t, "--node_id 1", 2)), "4-5|6-7");
  EXPECT_EQ(Pools(MakePlan(t, "--socket-id=0", 1)), "0-3");
  EXPECT_EQ(Pools(MakePlan(t, "--core_list 1,2,5-6", 2)), "1-2|5-6");
  EXPECT_EQ(Pools(MakePlan(t, "--ncores_per_instance 2", 2)), "0-1|2-3");
  EXPECT_EQ(Pools(MakePlan(t, "--ncores-per-instance 2 --strategy scatter", 2)), "0-1|4-5");
  EXPECT_EQ(Pools(MakePlan(t, "--latency_mode", 2)), "0-3|4-7");
  EXPECT_EQ(Pools(MakePlan(t, "--throughput_mode", 2)), "0-3|4-7");
  EXPECT_EQ(Pools(MakePlan(t, "--ninstances 2 --rank 1", 2)), "4-5|6-7");
  auto bad = PlanWorkers(t, Args("--node_id 5"), 1, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid node id: 5. Valid node ids: [0, 1]");
  Plan wrap = MakePlan(t, "", 20);
  EXPECT_EQ(wrap.workers.size(), 20u);
  ASSERT_FALSE(wrap.warnings.empty());
  EXPECT_NE(wrap.warnings.back().find("20 workers > 16 pools"), std::string::npos);
}

TEST(LauncherArgsTest, SpellingsPrefixesAndValues) {
  LauncherArgs a = Args("--use-logical-core --disable_numactl --ncore_per_instance=4 --node-id 1 --ninstance 2");
  EXPECT_TRUE(a.use_logical_core);
  EXPECT_TRUE(a.disable_numactl);
  EXPECT_EQ(a.ncores_per_instance, 4);
  EXPECT_EQ(a.node_id, 1);
  EXPECT_EQ(a.ninstances, 2);  // argparse-style abbreviation
  EXPECT_TRUE(Args("--enable_jemalloc").allocator == Allocator::kJemalloc);
  EXPECT_TRUE(Args("--memory-allocator tcmalloc").allocator == Allocator::kTcmalloc);
  EXPECT_TRUE(Args("--disable_iomp").omp == OmpRuntime::kDefault);
  EXPECT_TRUE(Args("--omp-runtime intel").omp == OmpRuntime::kIntel);
  EXPECT_EQ(Args("--core-list '0, 1, 2'").core_list, (std::vector<int>{0, 1, 2}));
  LauncherArgs unknown = Args("--frobnicate --use_logical_core");
  ASSERT_EQ(unknown.warnings.size(), 1u);
  EXPECT_NE(unknown.warnings[0].find("ignoring unknown launcher argument --frobnicate"), std::string::npos);
  auto both = ParseLauncherArgs(TokenizeArgs("--enable_tcmalloc --enable_jemalloc"));
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(), "Unable to enable TCMalloc and JEMalloc at the same time.");
  EXPECT_FALSE(ParseLauncherArgs(TokenizeArgs("--latency_mode --throughput_mode")).ok());
}

TEST(LauncherEnvTest, IntelOpenMpAndTcmalloc) {
  FakeSysfs sys(1, 2, 2, false);
  Topology t = sys.Load("0-3");
  LauncherArgs args = Args("");
  Plan plan = MakePlan(t, "", 2);
  Libraries libs;
  libs.tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4";
  libs.iomp = "/usr/lib/x86_64-linux-gnu/libomp.so.5";
  libs.iomp_flavour = "llvm-libomp";
  WorkerIdentity who{"W-9000-m_1.0", 1, 2, {"hearth-worker"}};
  WorkerEnvironment env = BuildWorkerEnvironment(args, libs, t, plan, who, {});
  std::map<std::string, std::string> vars(env.vars.begin(), env.vars.end());
  EXPECT_EQ(vars["OMP_NUM_THREADS"], "1");
  EXPECT_EQ(vars["KMP_AFFINITY"], "granularity=fine,compact,1,0");
  EXPECT_EQ(vars["KMP_BLOCKTIME"], "1");
  EXPECT_EQ(vars["LD_PRELOAD"], libs.iomp + ":" + libs.tcmalloc);
  EXPECT_EQ(vars["HEARTH_WORKER_CPUS"], "1");
  std::vector<std::string> texts;
  for (const auto& l : env.log) texts.push_back(l.text);
  EXPECT_EQ(texts[0], "assigning 1 cores for instance 1");
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Using Intel OpenMP"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "Use TCMalloc memory allocator"), texts.end());
}

TEST(LauncherEnvTest, PresetWinsAndJemallocConf) {
  FakeSysfs sys(1, 2, 2, false);
  Topology t = sys.Load("0-3");
  Plan plan = MakePlan(t, "", 1);
  Libraries libs;
  libs.jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  WorkerIdentity who{"W-9000-m_1.0", 0, 1, {"hearth-worker"}};
  WorkerEnvironment env =
      BuildWorkerEnvironment(Args("--enable_jemalloc --disable_iomp"), libs, t, plan, who, {{"OMP_NUM_THREADS", "7"}});
  std::map<std::string, std::string> vars(env.vars.begin(), env.vars.end());
  EXPECT_EQ(vars["OMP_NUM_THREADS"], "7");
  EXPECT_EQ(vars["MALLOC_CONF"], "oversize_threshold:1,background_thread:true,metadata_thp:auto");
  EXPECT_EQ(vars["OMP_PROC_BIND"], "CLOSE");
  EXPECT_EQ(vars.count("KMP_AFFINITY"), 0u);
  bool warned = false;
  for (const auto& l : env.log) warned = warned || l.text.find("Overriding value") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(LauncherEnvTest, NoAllocatorFoundWarns) {
  FakeSysfs sys(1, 2, 2, false);
  Topology t = sys.Load("0-3");
  Plan plan = MakePlan(t, "", 1);
  Libraries libs;
  libs.searched_dirs = {"/usr/lib", "/usr/local/lib"};
  WorkerIdentity who{"W", 0, 1, {"x"}};
  WorkerEnvironment env = BuildWorkerEnvironment(Args(""), libs, t, plan, who, {});
  ASSERT_FALSE(env.log.empty());
  EXPECT_EQ(env.log[0].level, "WARNING");
  EXPECT_EQ(env.log[0].text,
            "Neither TCMalloc nor JeMalloc is found in /usr/lib or /usr/local/lib so the LD_PRELOAD environment "
            "variable will not be set. This may drop the performance");
}

}  // namespace
}  // namespace hearth::launcher
