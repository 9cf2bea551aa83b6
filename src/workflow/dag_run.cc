#include "workflow/dag_run.h"

#include <mutex>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "common/json.h"

namespace hearth::workflow {
namespace {

class DagRun : public std::enable_shared_from_this<DagRun> {
 public:
  DagRun(DagRunOptions options, core::InferenceRequest request, core::ResponseCallback done)
      : options_(std::move(options)), headers_(std::move(request.headers)), done_(std::move(done)) {
    for (const std::string& node : options_.dag->TopologicalOrder()) {
      NodeState& n = nodes_[node];
      n.waiting_for = options_.dag->Parents(node).size();
    }
    nodes_[options_.dag->Root()].inputs = std::move(request.inputs);
    leaves_left_ = options_.dag->Leaves().size();
  }

  void Start() {
    Attempt first;
    {
      std::lock_guard lock(mu_);
      first = NextAttemptLocked(options_.dag->Root());
    }
    Send(std::move(first));
  }

 private:
  struct NodeState {
    size_t waiting_for = 0;  // parents yet to answer
    std::vector<core::InferenceInput> inputs;
    int attempts = 0;        // calls made; -1 once answered
    Timers::Id timer = 0;
    std::string answer;      // leaves only
  };
  struct Attempt {
    std::string node;
    int number = 0;
    core::InferenceRequest request;
  };

  NodeCallPolicy PolicyFor(const std::string& node) const {
    auto it = options_.policies.find(node);
    return it == options_.policies.end() ? NodeCallPolicy{} : it->second;
  }

  // The next call of `node`: its number is taken and its timeout armed here,
  // under the lock, so an answer to an earlier call is recognised as late.
  Attempt NextAttemptLocked(const std::string& node) {
    NodeState& n = nodes_[node];
    Attempt a{node, ++n.attempts, {}};
    a.request.request_id = NewUuid();
    a.request.headers = headers_;
    a.request.inputs = n.inputs;  // kept for a retry
    const int timeout_ms = PolicyFor(node).timeout_ms;
    n.timer = options_.timers->After(std::chrono::milliseconds(timeout_ms),
                                     [self = shared_from_this(), node, number = a.number, timeout_ms] {
                                       self->Failed(node, number,
                                                    "no answer within timeout-ms " + std::to_string(timeout_ms));
                                     });
    return a;
  }

  void Send(Attempt a) {
    options_.call(a.node, std::move(a.request),
                  [self = shared_from_this(), node = a.node, number = a.number](core::InferenceResponse r) {
                    self->Answered(node, number, std::move(r));
                  });
  }

  void Answered(const std::string& node, int attempt, core::InferenceResponse r) {
    if (!r.status.ok()) {
      Failed(node, attempt, r.status.message());
      return;
    }
    std::vector<Attempt> ready;
    bool all_done = false;
    {
      std::lock_guard lock(mu_);
      NodeState& n = nodes_[node];
      if (finished_ || attempt != n.attempts) return;  // a late answer to a call given up on
      options_.timers->Cancel(n.timer);
      n.attempts = -1;
      const auto& children = options_.dag->Children(node);
      if (children.empty()) {
        n.answer = std::move(r.body);
        all_done = --leaves_left_ == 0;
        finished_ = all_done;
      }
      for (const std::string& child : children) {
        NodeState& c = nodes_[child];
        const bool fan_in = options_.dag->Parents(child).size() > 1;
        c.inputs.push_back({fan_in ? node : "body", "", r.body});
        if (--c.waiting_for == 0) ready.push_back(NextAttemptLocked(child));
      }
    }
    for (Attempt& a : ready) Send(std::move(a));
    if (all_done) done_(Answer());
  }

  void Failed(const std::string& node, int attempt, const std::string& why) {
    std::optional<Attempt> retry;
    {
      std::lock_guard lock(mu_);
      NodeState& n = nodes_[node];
      if (finished_ || attempt != n.attempts) return;
      options_.timers->Cancel(n.timer);
      if (n.attempts <= PolicyFor(node).retry_attempts) {
        retry = NextAttemptLocked(node);
      } else {
        finished_ = true;
      }
    }
    if (retry) {
      Send(std::move(*retry));
      return;
    }
    core::InferenceResponse r;
    r.status = Internal("Error executing " + node + ": " + why);
    done_(std::move(r));
  }

  // Under no lock: finished_ is set, nothing writes nodes_ any more.
  core::InferenceResponse Answer() {
    core::InferenceResponse r;
    r.content_type = "application/json";
    const std::vector<std::string> leaves = options_.dag->Leaves();
    if (leaves.size() == 1) {
      r.body = std::move(nodes_[leaves.front()].answer);
      return r;
    }
    Json out = Json::object();
    for (const std::string& leaf : leaves) {
      const std::string& answer = nodes_[leaf].answer;
      Json value = Json::parse(answer, nullptr, /*allow_exceptions=*/false);
      out[leaf] = value.is_discarded() ? Json(answer) : std::move(value);
    }
    r.body = FrontendJson(out);
    return r;
  }

  const DagRunOptions options_;
  const core::Headers headers_;
  core::ResponseCallback done_;
  std::mutex mu_;
  std::map<std::string, NodeState> nodes_;  // guarded by mu_ until finished_
  size_t leaves_left_ = 0;                  // guarded by mu_
  bool finished_ = false;                   // guarded by mu_
};

}  // namespace

void RunDag(const DagRunOptions& options, core::InferenceRequest request, core::ResponseCallback done) {
  std::make_shared<DagRun>(options, std::move(request), std::move(done))->Start();
}

}  // namespace hearth::workflow
