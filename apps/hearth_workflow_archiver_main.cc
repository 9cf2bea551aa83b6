// hearth-workflow-archiver: torch-workflow-archiver's flags and .war format.
//   hearth-workflow-archiver --workflow-name wf --spec-file wf.yaml --handler wf_handler.py --export-path wf_store
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tools/archiver/workflow_archiver.h"

int main(int argc, char** argv) {
  hearth::tools::WorkflowArchiverOptions o;
  CLI::App app{"hearth-workflow-archiver: package a workflow as a .war archive (torch-workflow-archiver compatible)",
               "hearth-workflow-archiver"};
  app.add_option("--workflow-name", o.workflow_name, "Workflow name; also the archive's file name")->required();
  app.add_option("--spec-file", o.spec_file, "Workflow specification (YAML: models: and dag:)")->required();
  app.add_option("--handler", o.handler, "Python file with the workflow's pre/post-processing functions");
  app.add_option("--extra-files", o.extra_files, "Comma-separated extra files or directories");
  app.add_option("--export-path", o.export_path, "Where to write the .war (default: current directory)");
  app.add_flag("-f,--force", o.force, "Overwrite an existing .war");
  CLI11_PARSE(app, argc, argv);
  auto out = hearth::tools::CreateWorkflowArchive(o);
  if (!out.ok()) {
    std::fprintf(stderr, "hearth-workflow-archiver: ERROR - %s\n", out.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", out->c_str());
  return 0;
}
