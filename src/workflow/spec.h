#pragma once
// A workflow specification (the YAML file a .war names), as TorchServe
// reads it:
//
//   models:
//     min-workers: 1        # defaults for every model node ("global" keys)
//     batch-size: 4
//     retry-attempts: 2
//     timeout-ms: 3000
//     cat_dog:              # any other key is a model node
//       url: cat_dog.mar    # resolved in the model store
//       batch-size: 8       # overrides the default for this node
//   dag:
//     pre_processing: [cat_dog, breed]   # node: [children]
//     cat_dog: [breed]
//
// A DAG name that is not a model is a function of the workflow's handler
// file. Unlike TorchServe, defaults apply to every model wherever they are
// written in `models:`, and a malformed spec is refused with a message
// naming the field (TorchServe answers 500 with a Java exception). Pure.

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::workflow {

// The per-node settings of a workflow spec; defaults are TorchServe's.
struct NodeSettings {
  int min_workers = 1;
  int max_workers = 1;
  int batch_size = 1;
  int max_batch_delay_ms = 50;
  int retry_attempts = 1;  // executions after the first failed one
  int timeout_ms = 10000;  // per execution
};

struct ModelNodeSpec {
  std::string name;  // the key under models:
  std::string url;   // archive, resolved in the model store
  NodeSettings settings;
};

// One dag: entry, in file order.
struct DagEntry {
  std::string node;
  std::vector<std::string> children;
};

struct WorkflowSpec {
  NodeSettings defaults;  // the global keys of models:
  std::vector<ModelNodeSpec> models;
  std::vector<DagEntry> dag;
  std::string dag_text;  // the dag as TorchServe's describe shows it: {a=[b, c], b=[c]}
};

// Errors are InvalidArgument naming `origin` and the field, e.g.
//   spec.yaml: models.cat_dog.batch-size must be a whole number >= 1, got "x"
StatusOr<WorkflowSpec> ParseWorkflowSpec(const std::string& yaml_text, const std::string& origin);

}  // namespace hearth::workflow
