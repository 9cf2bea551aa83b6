#include "launcher/apply.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/strings.h"

namespace hearth::launcher {

namespace {
constexpr int kMpolBind = 2;  // MPOL_BIND from <numaif.h>
}

StatusOr<ApplyResult> ApplyPlacement(const std::vector<int>& cpus, const std::vector<int>& membind_nodes) {
  ApplyResult r;
  if (!cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      return Internal("sched_setaffinity(" + FormatCpuList(cpus) + "): " + std::strerror(errno));
    }
    r.cpus_bound = true;
  }
  if (!membind_nodes.empty()) {
    unsigned long mask[16] = {0};
    int max_node = 0;
    for (int n : membind_nodes) {
      if (n < 0 || n >= 16 * 64) continue;
      mask[n / 64] |= 1ul << (n % 64);
      max_node = std::max(max_node, n);
    }
    // The kernel reads maxnode - 1 bits.
    long rc = syscall(SYS_set_mempolicy, kMpolBind, mask, static_cast<unsigned long>(max_node + 2));
    if (rc != 0) {
      r.warnings.push_back(std::string("set_mempolicy: ") + std::strerror(errno) +
                           "; memory binding disabled, binding CPUs only (grant CAP_SYS_NICE to enable)");
    } else {
      r.memory_bound = true;
    }
  }
  return r;
}

StatusOr<ApplyResult> ApplyPlacementFromEnvironment() {
  const char* bind = std::getenv("HEARTH_WORKER_BIND");
  const char* cpus = std::getenv("HEARTH_WORKER_CPUS");
  if (!bind || std::strcmp(bind, "1") != 0 || !cpus) return ApplyResult{};
  auto cpu_list = ParseCpuList(cpus);
  if (!cpu_list) return InvalidArgument(std::string("malformed HEARTH_WORKER_CPUS=") + cpus);
  std::vector<int> nodes;
  if (const char* mem = std::getenv("HEARTH_WORKER_MEMBIND"); mem && *mem) {
    auto parsed = ParseCpuList(mem);
    if (parsed) nodes = *parsed;
  }
  return ApplyPlacement(*cpu_list, nodes);
}

}  // namespace hearth::launcher
