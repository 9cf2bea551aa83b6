#include "workflow/workflow_manager.h"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <atomic>

#include "archive/manifest.h"
#include "archive/war_manifest.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/strings.h"
#include "core/registration.h"

namespace hearth::workflow {
namespace fs = std::filesystem;

struct WorkflowManager::Prepared {
  core::ArchiveForRegistration archive;
  std::string name;
  std::string handler_file;  // "" when the workflow has none
  WorkflowSpec spec;
  std::shared_ptr<const Dag> dag;
};

namespace {

// Collects `n` results (any thread), then calls `done` once with the
// failures' messages and the names that succeeded.
class Gather {
 public:
  using Done = std::function<void(std::vector<std::string> failures, std::vector<std::string> succeeded)>;
  Gather(size_t n, Done done) : left_(n), done_(std::move(done)) {}
  void Add(const std::string& name, const Status& st) {
    std::vector<std::string> failures, succeeded;
    {
      std::lock_guard lock(mu_);
      (st.ok() ? succeeded_ : failures_).push_back(st.ok() ? name : st.message());
      if (--left_ > 0) return;
      failures = std::move(failures_);
      succeeded = std::move(succeeded_);
    }
    done_(std::move(failures), std::move(succeeded));
  }

 private:
  std::mutex mu_;
  size_t left_;
  std::vector<std::string> failures_, succeeded_;
  Done done_;
};

}  // namespace

WorkflowManager::WorkflowManager(core::ModelManager& models, const config::ServerConfig& config, Timers& timers)
    : models_(models), config_(config), timers_(timers) {}

WorkflowManager::~WorkflowManager() { blocking_pool_.join(); }

StatusOr<WorkflowManager::Prepared> WorkflowManager::Prepare(const WorkflowRegisterParams& params) const {
  core::ArchiveStore store{config_.workflow_store.empty() ? config_.model_store : config_.workflow_store,
                           "Workflow not found in workflow store: ", "Workflow file already exists "};
  Prepared p;
  ASSIGN_OR_RETURN(p.archive, core::FetchAndOpenArchive(params.url, config_, store));
  auto fail = [&p](Status st) {
    p.archive.Discard();
    return st;
  };
  const fs::path dir = p.archive.opened.model_dir;
  archive::WarManifest manifest;
  if (auto text = ReadFile(dir / archive::kWarManifestPath); text.ok()) {
    auto parsed = archive::ParseWarManifest(*text, params.url);
    if (!parsed.ok()) return fail(parsed.status());
    manifest = std::move(*parsed);
  }
  if (!params.workflow_name.empty()) manifest.workflow_name = params.workflow_name;
  if (Status st = archive::ValidateWarManifest(manifest, params.url); !st.ok()) return fail(st);
  p.name = manifest.workflow_name;
  if (!archive::IsValidModelName(p.name)) {
    return fail(InvalidArgument("Workflow name contains special characters. The allowed regular expression "
                                "filter is: ^[A-Za-z0-9][A-Za-z0-9_\\-.]*$ (got \"" + p.name + "\")"));
  }
  const std::string origin = params.url + ":" + manifest.spec_file;
  auto spec_text = ReadFile(dir / manifest.spec_file);
  if (!spec_text.ok()) {
    return fail(InvalidArgument(params.url + ": specFile " + manifest.spec_file + " named in " +
                                archive::kWarManifestPath + " is not in the archive"));
  }
  auto spec = ParseWorkflowSpec(*spec_text, origin);
  if (!spec.ok()) return fail(spec.status());
  p.spec = std::move(*spec);
  auto dag = Dag::Build(p.spec.dag);
  if (!dag.ok()) return fail(InvalidArgument(origin + ": dag: " + dag.status().message()));
  p.dag = std::make_shared<const Dag>(std::move(*dag));
  p.handler_file = manifest.handler;
  for (const std::string& node : p.dag->TopologicalOrder()) {
    const bool is_model = std::any_of(p.spec.models.begin(), p.spec.models.end(),
                                      [&](const ModelNodeSpec& m) { return m.name == node; });
    if (is_model) continue;
    if (p.handler_file.empty()) {
      return fail(InvalidArgument(origin + ": dag node " + node +
                                  " is not a model under models: and the workflow has no handler file "
                                  "(torch-workflow-archiver --handler) to find a function " + node + " in"));
    }
    std::error_code ec;
    if (!fs::is_regular_file(dir / p.handler_file, ec)) {
      return fail(InvalidArgument(params.url + ": handler " + p.handler_file + " named in " +
                                  archive::kWarManifestPath + " is not in the archive"));
    }
  }
  for (const ModelNodeSpec& m : p.spec.models) {
    if (!p.dag->Contains(m.name)) {
      HLOG_WARN("workflow {}: model {} is not in the dag and is not registered", p.name, m.name);
    }
  }
  return p;
}

void WorkflowManager::Register(const WorkflowRegisterParams& params, core::ManagementCallback done) {
  if (Trim(params.url).empty()) {
    done(InvalidArgument("Parameter url is required."));
    return;
  }
  boost::asio::post(blocking_pool_, [this, params, done = std::move(done)]() mutable {
    auto prepared = Prepare(params);
    if (!prepared.ok()) {
      done(prepared.status());
      return;
    }
    auto workflow = std::make_shared<Workflow>();
    workflow->params = params;
    workflow->name = prepared->name;
    workflow->spec = prepared->spec;
    workflow->dag = prepared->dag;
    workflow->extracted_dir = prepared->archive.opened.extracted_dir;
    workflow->downloaded_file = prepared->archive.downloaded_file;
    {
      std::lock_guard lock(mu_);
      if (!workflows_.emplace(workflow->name, workflow).second) {
        prepared->archive.Discard();
        done(AlreadyExists("Workflow " + workflow->name + " is already registered."));
        return;
      }
    }
    RegisterNodes(workflow, *prepared, std::move(done));
  });
}

void WorkflowManager::RegisterNodes(std::shared_ptr<Workflow> workflow, const Prepared& prepared,
                                    core::ManagementCallback done) {
  const std::vector<std::string>& nodes = workflow->dag->TopologicalOrder();
  const fs::path dir = prepared.archive.opened.model_dir;
  std::vector<core::RegisterParams> all;
  for (const std::string& node : nodes) {
    core::RegisterParams p;
    p.model_name = NodeModelName(workflow->name, node);
    p.workflow = workflow->name;
    p.synchronous = true;
    p.response_timeout_s = workflow->params.response_timeout_s;
    p.startup_timeout_s = workflow->params.startup_timeout_s;
    auto model = std::find_if(workflow->spec.models.begin(), workflow->spec.models.end(),
                              [&](const ModelNodeSpec& m) { return m.name == node; });
    NodeSettings settings = workflow->spec.defaults;
    if (model != workflow->spec.models.end()) {
      settings = model->settings;
      p.url = model->url;
      p.batch_size = settings.batch_size;
      p.max_batch_delay_ms = settings.max_batch_delay_ms;
      p.initial_workers = settings.max_workers;  // as TorchServe: a node runs max-workers workers
    } else {
      // A function of the handler file: its own one-worker Python model over the workflow's files.
      p.url = workflow->params.url;
      p.batch_size = 1;
      p.initial_workers = 1;
      core::RegisterParams::Prepared files;
      files.model_dir = dir;
      files.manifest.model_name = p.model_name;
      files.manifest.model_version = "1.0";
      files.manifest.handler = prepared.handler_file + ":" + node;
      p.prepared = std::move(files);
    }
    workflow->policies[node] = NodeCallPolicy{settings.retry_attempts, settings.timeout_ms};
    all.push_back(std::move(p));
  }
  auto archive = prepared.archive;
  auto gather = std::make_shared<Gather>(all.size(), [this, workflow, archive, done](
                                                         std::vector<std::string> failures,
                                                         std::vector<std::string> registered) {
    if (failures.empty()) {
      {
        std::lock_guard lock(mu_);
        workflow->ready = true;
      }
      HLOG_INFO("workflow {} registered from {}: {} nodes", workflow->name, workflow->params.url,
                workflow->dag->TopologicalOrder().size());
      done(core::ManagementReply{200, "Workflow " + workflow->name + " has been registered and scaled successfully."});
      return;
    }
    const std::string message =
        "Workflow " + workflow->name + " has failed to register. Failures: [" + Join(failures, ", ") + "]";
    HLOG_ERROR("{}", message);
    // Only the nodes this registration made: a name clash must not remove someone else's model.
    UnregisterNodes(workflow->name, registered, [this, workflow, archive, message, done](std::vector<std::string>) {
      archive.Discard();
      {
        std::lock_guard lock(mu_);
        workflows_.erase(workflow->name);
      }
      done(Internal(message));
    });
  });
  for (core::RegisterParams& p : all) {
    const std::string model = p.model_name;
    models_.Register(p, [gather, model](StatusOr<core::ManagementReply> r) {
      gather->Add(model, !r.ok() ? Status(r.status().code(), "Workflow Node " + model + " failed to register. Details: " +
                                                           r.status().message())
                  : r->http_status != 200 ? Internal("Workflow Node " + model + " failed to register. Details: " +
                                                     r->message)
                                          : Status::Ok());
    });
  }
}

void WorkflowManager::UnregisterNodes(const std::string& workflow, const std::vector<std::string>& models,
                                      std::function<void(std::vector<std::string> failures)> done) {
  if (models.empty()) {
    done({});
    return;
  }
  auto gather = std::make_shared<Gather>(
      models.size(), [done](std::vector<std::string> failures, std::vector<std::string>) { done(std::move(failures)); });
  for (const std::string& model : models) {
    models_.Unregister(
        model, "",
        [gather, workflow, model](StatusOr<core::ManagementReply> r) {
          if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
            HLOG_WARN("workflow {}: cannot unregister {}: {}", workflow, model, r.status().message());
            gather->Add(model, Internal(model + ": " + r.status().message()));
            return;
          }
          gather->Add(model, Status::Ok());
        },
        core::ModelManager::Requester::kWorkflow);
  }
}

void WorkflowManager::Unregister(const std::string& name, core::ManagementCallback done) {
  std::shared_ptr<Workflow> workflow;
  {
    std::lock_guard lock(mu_);
    auto it = workflows_.find(name);
    if (it != workflows_.end() && it->second->ready) {
      workflow = it->second;
      workflows_.erase(it);
    }
  }
  if (!workflow) {
    done(NotFound("Workflow not found: " + name));
    return;
  }
  std::vector<std::string> models;
  for (const std::string& node : workflow->dag->TopologicalOrder()) models.push_back(NodeModelName(name, node));
  UnregisterNodes(name, models, [workflow, done](std::vector<std::string> failures) {
    std::error_code ec;
    if (!workflow->extracted_dir.empty()) fs::remove_all(workflow->extracted_dir, ec);
    if (!workflow->downloaded_file.empty()) fs::remove(workflow->downloaded_file, ec);
    if (!failures.empty()) {
      done(Internal("Error while unregistering the workflow " + workflow->name + ". Details: [" +
                    Join(failures, ", ") + "]"));
      return;
    }
    HLOG_INFO("workflow {} unregistered", workflow->name);
    done(core::ManagementReply{200, "Workflow \"" + workflow->name + "\" unregistered"});
  });
}

StatusOr<WorkflowDescription> WorkflowManager::Describe(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = workflows_.find(name);
  if (it == workflows_.end() || !it->second->ready) return NotFound("Workflow not found: " + name);
  const Workflow& w = *it->second;
  WorkflowDescription d{w.name, w.params.url, w.spec.defaults, w.spec.dag_text, {}};
  for (const std::string& node : w.dag->TopologicalOrder()) d.node_models.push_back(NodeModelName(name, node));
  return d;
}

WorkflowPage WorkflowManager::List(int limit, int next_page_token) const {
  if (limit > 100 || limit < 0) limit = 100;
  if (next_page_token < 0) next_page_token = 0;
  std::vector<std::pair<std::string, std::string>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, w] : workflows_) {
      if (w->ready) all.emplace_back(name, w->params.url);
    }
  }
  WorkflowPage page;
  const size_t first = std::min(all.size(), static_cast<size_t>(next_page_token));
  size_t last = first + static_cast<size_t>(limit);
  if (last > all.size()) {
    last = all.size();
  } else {
    page.next_page_token = static_cast<int>(last);  // TorchServe sets it even at the very end
  }
  page.workflows.assign(all.begin() + static_cast<long>(first), all.begin() + static_cast<long>(last));
  return page;
}

void WorkflowManager::Predict(const std::string& name, core::InferenceRequest request, core::ResponseCallback done) {
  std::shared_ptr<Workflow> workflow;
  {
    std::lock_guard lock(mu_);
    auto it = workflows_.find(name);
    if (it != workflows_.end() && it->second->ready) workflow = it->second;
  }
  if (!workflow) {
    core::InferenceResponse r;
    r.status = NotFound("Workflow not found: " + name);
    done(std::move(r));
    return;
  }
  DagRunOptions options;
  options.dag = workflow->dag;
  options.policies = workflow->policies;
  options.timers = &timers_;
  options.call = [this, name](const std::string& node, core::InferenceRequest r, core::ResponseCallback answer) {
    models_.Predict(NodeModelName(name, node), "", std::move(r), std::move(answer));
  };
  RunDag(options, std::move(request), std::move(done));
}

Json WorkflowManager::ExportSnapshot() const {
  Json out = Json::object();
  std::lock_guard lock(mu_);
  for (const auto& [name, w] : workflows_) {
    if (!w->ready) continue;
    Json j;
    j["workflowUrl"] = w->downloaded_file.empty() ? w->params.url : w->downloaded_file.filename().string();
    j["responseTimeout"] = w->params.response_timeout_s;
    j["startupTimeout"] = w->params.startup_timeout_s;
    out[name] = j;
  }
  return out;
}

void WorkflowManager::RestoreSnapshot(const Json& workflows, std::function<void()> done) {
  if (!workflows.is_object() || workflows.empty()) {
    done();
    return;
  }
  auto gather = std::make_shared<Gather>(workflows.size(),
                                         [done](std::vector<std::string>, std::vector<std::string>) { done(); });
  for (auto it = workflows.begin(); it != workflows.end(); ++it) {
    WorkflowRegisterParams p;
    p.workflow_name = it.key();
    p.url = it.value().value("workflowUrl", "");
    p.response_timeout_s = it.value().value("responseTimeout", 120);
    p.startup_timeout_s = it.value().value("startupTimeout", 120);
    const std::string name = it.key();
    Register(p, [gather, name](StatusOr<core::ManagementReply> r) {
      if (!r.ok()) HLOG_ERROR("cannot restore workflow {} from the snapshot: {}", name, r.status().message());
      gather->Add(name, Status::Ok());
    });
  }
}

}  // namespace hearth::workflow
