#include "launcher/launcher.h"

#include "common/strings.h"

namespace hearth::launcher {

StatusOr<std::unique_ptr<Launcher>> Launcher::Create(const std::string& args_text,
                                                     const std::map<std::string, std::string>& env,
                                                     const PlanOptions& options, const TopologySources& sources) {
  ASSIGN_OR_RETURN(LauncherArgs args, ParseLauncherArgs(TokenizeArgs(args_text)));
  return Create(std::move(args), env, options, sources);
}

StatusOr<std::unique_ptr<Launcher>> Launcher::Create(LauncherArgs args, const std::map<std::string, std::string>& env,
                                                     const PlanOptions& options, const TopologySources& sources) {
  auto launcher = std::unique_ptr<Launcher>(new Launcher());
  launcher->args_ = std::move(args);
  ASSIGN_OR_RETURN(launcher->topology_, LoadTopology(sources));
  launcher->libraries_ = FindLibraries(env);
  launcher->options_ = options;
  launcher->env_ = env;
  launcher->warnings_ = launcher->args_.warnings;
  // Validate the region once, so that a bad --node_id is reported at start.
  RETURN_IF_ERROR(PlanWorkers(launcher->topology_, launcher->args_, 1, options).status());
  return launcher;
}

StatusOr<WorkerLaunch> Launcher::Place(int slot, int count, const std::string& worker_name,
                                       const std::vector<std::string>& argv) const {
  ASSIGN_OR_RETURN(Plan plan, PlanWorkers(topology_, args_, count, options_));
  WorkerIdentity who{worker_name, slot, count, argv};
  WorkerEnvironment we = BuildWorkerEnvironment(args_, libraries_, topology_, plan, who, env_);
  WorkerLaunch out;
  out.cpus = plan.workers.at(static_cast<size_t>(slot)).cpus;
  out.env = we.vars;
  for (const auto& w : plan.warnings) out.log.push_back({"WARNING", w});
  out.log.insert(out.log.end(), we.log.begin(), we.log.end());
  if (slot == 0 && !plan.idle_cpus.empty()) {
    out.log.push_back({"INFO", "hearth: idle cpus=" + FormatCpuList(plan.idle_cpus) + " (leftover after split)"});
  }
  out.threads = static_cast<int>(out.cpus.size());
  for (const auto& [k, v] : out.env) {
    if (k == "OMP_NUM_THREADS") {
      if (v != std::to_string(out.threads)) {
        out.log.push_back({"WARNING", "hearth: OMP_NUM_THREADS preset (" + v + ") differs from pool size " +
                                          std::to_string(out.threads)});
      }
    }
  }
  return out;
}

}  // namespace hearth::launcher
