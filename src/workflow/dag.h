#pragma once
// The graph of a workflow: nodes and the edges of the spec's dag: section,
// checked as TorchServe checks it (no self loop, no edge twice, exactly one
// start node, no cycle), with messages that also name the nodes involved.
// Any number of leaves is allowed. Immutable once built; pure.

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "workflow/spec.h"

namespace hearth::workflow {

class Dag {
 public:
  // InvalidArgument, TorchServe's wording first:
  //   "Self loop exception: node a lists itself"
  //   "loop exception: the edge a -> b is listed twice"
  //   "DAG should have only one start node; found 2: a, b"
  //   "Not a valid DAG: a cycle through b, c"
  static StatusOr<Dag> Build(const std::vector<DagEntry>& entries);

  // Every node, parents before children (ties in first-mention order).
  const std::vector<std::string>& TopologicalOrder() const { return order_; }
  const std::string& Root() const { return order_.front(); }
  // Nodes without children, in topological order.
  std::vector<std::string> Leaves() const;
  // In first-mention order; a node that is not in the graph has none.
  const std::vector<std::string>& Parents(const std::string& node) const;
  const std::vector<std::string>& Children(const std::string& node) const;
  bool Contains(const std::string& node) const { return children_.count(node) > 0; }

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::vector<std::string>> children_;
  std::map<std::string, std::vector<std::string>> parents_;
};

}  // namespace hearth::workflow
