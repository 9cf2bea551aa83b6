#pragma once
// TorchServe's workflows over the model registry: a .war archive (a spec
// and a handler file) registers one model per DAG node, named
// "<workflow>__<node>" (model nodes from the spec's archives in the model
// store; function nodes from the handler file, each its own one-worker
// Python model), and /wfpredict runs a request through the DAG (dag_run.h).
//
// Registration follows TorchServe 0.12: the .war from workflow_store (or a
// URL, downloaded there), WAR-INF/MANIFEST.json checked, the spec parsed and
// its DAG checked (400 naming the problem), 409 when the name is taken,
// then every node registered synchronously; if any node fails, the others
// are unregistered and the answer is 500 "Workflow <w> has failed to
// register. Failures: [...]". Unlike TorchServe, workflows are kept in
// config snapshots (ExportSnapshot) and restored with the server.
//
// Threading: every method is thread-safe and returns without blocking;
// archive work runs on an own thread, callbacks may run on any thread.

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/timers.h"
#include "config/server_config.h"
#include "core/model_manager.h"
#include "workflow/dag.h"
#include "workflow/dag_run.h"
#include "workflow/spec.h"

namespace hearth::workflow {

struct WorkflowRegisterParams {
  std::string url;            // a .war in workflow_store, file://, or http(s) (allowed_urls)
  std::string workflow_name;  // "" -> the manifest's
  int response_timeout_s = 120;  // for every node model
  int startup_timeout_s = 120;
};

struct WorkflowDescription {
  std::string name;
  std::string url;          // as given at registration
  NodeSettings defaults;    // the spec's global values
  std::string dag_text;     // {a=[b, c], b=[c]}
  std::vector<std::string> node_models;  // "<workflow>__<node>", in topological order
};

struct WorkflowPage {
  std::vector<std::pair<std::string, std::string>> workflows;  // name, url; sorted by name
  std::optional<int> next_page_token;
};

class WorkflowManager {
 public:
  // `models` and `timers` outlive the manager.
  WorkflowManager(core::ModelManager& models, const config::ServerConfig& config, Timers& timers);
  ~WorkflowManager();

  void Register(const WorkflowRegisterParams& params, core::ManagementCallback done);
  // 404 "Workflow not found: <w>"; the node models are unregistered, the
  // extracted archive removed, and a downloaded .war deleted.
  void Unregister(const std::string& name, core::ManagementCallback done);
  StatusOr<WorkflowDescription> Describe(const std::string& name) const;
  // TorchServe's paging: limit 1..100 (else 100), token >= 0.
  WorkflowPage List(int limit, int next_page_token) const;
  // 404 for an unknown workflow; otherwise dag_run.h's answer.
  void Predict(const std::string& name, core::InferenceRequest request, core::ResponseCallback done);

  // {"<w>": {"workflowUrl": ..., "responseTimeout": ..., "startupTimeout": ...}}
  Json ExportSnapshot() const;
  // Registers every workflow of ExportSnapshot's form; failures are logged.
  void RestoreSnapshot(const Json& workflows, std::function<void()> done);

  static std::string NodeModelName(const std::string& workflow, const std::string& node) {
    return workflow + "__" + node;
  }

 private:
  struct Workflow {
    WorkflowRegisterParams params;
    std::string name;
    WorkflowSpec spec;
    std::shared_ptr<const Dag> dag;
    std::map<std::string, NodeCallPolicy> policies;
    std::filesystem::path extracted_dir;   // removed at unregister
    std::filesystem::path downloaded_file;  // a URL's download, removed at unregister
    bool ready = false;                     // false while its nodes register
  };
  struct Prepared;

  StatusOr<Prepared> Prepare(const WorkflowRegisterParams& params) const;  // blocking
  void RegisterNodes(std::shared_ptr<Workflow> workflow, const Prepared& prepared, core::ManagementCallback done);
  void UnregisterNodes(const std::string& workflow, const std::vector<std::string>& nodes,
                       std::function<void(std::vector<std::string> failures)> done);

  core::ModelManager& models_;
  const config::ServerConfig& config_;
  Timers& timers_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Workflow>> workflows_;  // guarded by mu_
  boost::asio::thread_pool blocking_pool_{1};
};

}  // namespace hearth::workflow
