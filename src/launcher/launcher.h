#pragma once
// The server's launcher: created once from cpu_launcher_args, it places each
// model's workers (Plan) and builds each worker's environment and log lines.
// Immutable after Create; thread-safe.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "launcher/launcher_args.h"
#include "launcher/plan.h"
#include "launcher/topology.h"
#include "launcher/worker_env.h"

namespace hearth::launcher {

struct WorkerLaunch {
  std::vector<int> cpus;
  std::vector<std::pair<std::string, std::string>> env;  // to add to the worker's environment
  std::vector<LogLine> log;                              // for model_log.log, before the spawn
  int threads = 1;
};

class Launcher {
 public:
  // Errors mean the launcher cannot run with these arguments; the caller
  // logs them and serves without pinning.
  static StatusOr<std::unique_ptr<Launcher>> Create(const std::string& args_text,
                                                    const std::map<std::string, std::string>& env,
                                                    const PlanOptions& options,
                                                    const TopologySources& sources = TopologySources());
  static StatusOr<std::unique_ptr<Launcher>> Create(LauncherArgs args, const std::map<std::string, std::string>& env,
                                                    const PlanOptions& options,
                                                    const TopologySources& sources = TopologySources());

  // The whole plan for `count` workers (hearth-launch --dry-run).
  StatusOr<Plan> PlanFor(int count) const { return PlanWorkers(topology_, args_, count, options_); }
  const LauncherArgs& args() const { return args_; }

  // Placement of worker `slot` of `count` for a model.
  StatusOr<WorkerLaunch> Place(int slot, int count, const std::string& worker_name,
                               const std::vector<std::string>& argv) const;

  const std::vector<std::string>& warnings() const { return warnings_; }
  const Topology& topology() const { return topology_; }

 private:
  LauncherArgs args_;
  Topology topology_;
  Libraries libraries_;
  PlanOptions options_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> warnings_;
};

}  // namespace hearth::launcher
