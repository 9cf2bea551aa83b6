#pragma once
// One request through a workflow's DAG, as TorchServe's DagExecutor runs it:
//   - the start node gets the request's inputs (body or form fields) and
//     headers under a fresh request id;
//   - a node runs once all its parents answered; each parent's answer body
//     becomes one input of the child, named "body" when the child has one
//     parent and after the parent's node name when it has several (fan-in),
//     with no content type (a Python handler gets bytes); every node gets
//     the original headers;
//   - a failed or timed-out call is repeated up to retry_attempts more times,
//     each waiting at most timeout_ms; then the request fails with 500
//     "Error executing <node>: <why>";
//   - the answer is the single leaf's body verbatim as application/json, or
//     with several leaves a JSON object {"<leaf>": <its answer>, ...} (an
//     answer that is not JSON is kept as a string; TorchServe refuses it).
// How a node is called is injected (NodeCaller), so the run is unit-tested
// with fakes and FakeTimers.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/timers.h"
#include "core/inference_types.h"
#include "workflow/dag.h"

namespace hearth::workflow {

struct NodeCallPolicy {
  int retry_attempts = 1;
  int timeout_ms = 10000;
};

// Sends `request` to the node's model; `done` exactly once, on any thread.
using NodeCaller =
    std::function<void(const std::string& node, core::InferenceRequest request, core::ResponseCallback done)>;

struct DagRunOptions {
  std::shared_ptr<const Dag> dag;
  std::map<std::string, NodeCallPolicy> policies;  // a node without one gets the defaults
  NodeCaller call;
  Timers* timers = nullptr;  // required; outlives the run
};

// Starts the run and returns; `done` runs exactly once, on a thread of a
// node's answer or of a timer. Thread-safe.
void RunDag(const DagRunOptions& options, core::InferenceRequest request, core::ResponseCallback done);

}  // namespace hearth::workflow
