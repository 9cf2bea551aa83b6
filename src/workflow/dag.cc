#include "workflow/dag.h"

#include <algorithm>

#include "common/strings.h"

namespace hearth::workflow {

StatusOr<Dag> Dag::Build(const std::vector<DagEntry>& entries) {
  Dag dag;
  std::vector<std::string> mentioned;  // first-mention order
  auto mention = [&](const std::string& node) {
    if (dag.children_.emplace(node, std::vector<std::string>{}).second) {
      dag.parents_[node];
      mentioned.push_back(node);
    }
  };
  for (const DagEntry& entry : entries) {
    mention(entry.node);
    for (const std::string& child : entry.children) {
      mention(child);
      if (child == entry.node) return InvalidArgument("Self loop exception: node " + entry.node + " lists itself");
      auto& kids = dag.children_[entry.node];
      if (std::find(kids.begin(), kids.end(), child) != kids.end()) {
        return InvalidArgument("loop exception: the edge " + entry.node + " -> " + child + " is listed twice");
      }
      kids.push_back(child);
      dag.parents_[child].push_back(entry.node);
    }
  }
  std::vector<std::string> starts;
  for (const std::string& node : mentioned) {
    if (dag.parents_[node].empty()) starts.push_back(node);
  }
  if (starts.size() != 1) {
    return InvalidArgument("DAG should have only one start node; found " + std::to_string(starts.size()) +
                           (starts.empty() ? " (every node has a parent: the graph is a cycle)"
                                           : ": " + Join(starts, ", ")));
  }
  // Kahn's algorithm, taking ready nodes in first-mention order.
  std::map<std::string, size_t> waiting;
  for (const std::string& node : mentioned) waiting[node] = dag.parents_[node].size();
  std::vector<std::string> ready = starts;
  while (!ready.empty()) {
    std::string node = ready.front();
    ready.erase(ready.begin());
    dag.order_.push_back(node);
    for (const std::string& child : dag.children_[node]) {
      if (--waiting[child] == 0) ready.push_back(child);
    }
  }
  if (dag.order_.size() != mentioned.size()) {
    std::vector<std::string> stuck;
    for (const std::string& node : mentioned) {
      if (waiting[node] > 0) stuck.push_back(node);
    }
    return InvalidArgument("Not a valid DAG: a cycle through " + Join(stuck, ", "));
  }
  return dag;
}

std::vector<std::string> Dag::Leaves() const {
  std::vector<std::string> out;
  for (const std::string& node : order_) {
    if (children_.at(node).empty()) out.push_back(node);
  }
  return out;
}

const std::vector<std::string>& Dag::Parents(const std::string& node) const {
  static const std::vector<std::string> kNone;
  auto it = parents_.find(node);
  return it == parents_.end() ? kNone : it->second;
}

const std::vector<std::string>& Dag::Children(const std::string& node) const {
  static const std::vector<std::string> kNone;
  auto it = children_.find(node);
  return it == children_.end() ? kNone : it->second;
}

}  // namespace hearth::workflow
