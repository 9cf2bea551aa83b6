// hearth-archiver: torch-model-archiver's flags and formats.
//   hearth-archiver --model-name rn50 --version 1.0 --serialized-file rn50.pt --handler image_classifier
//   hearth-archiver --inspect rn50.mar
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "archive/archive_writer.h"
#include "tools/archiver/archiver.h"

int main(int argc, char** argv) {
  // -v/--version is the *model* version, as in torch-model-archiver; given
  // alone (no value) it prints the tool's version instead.
  for (int i = 1; i < argc; ++i) {
    if ((!std::strcmp(argv[i], "-v") || !std::strcmp(argv[i], "--version")) &&
        (i + 1 == argc || argv[i + 1][0] == '-') && argc == 2) {
      std::printf("hearth-archiver %s (torch-model-archiver 0.12 compatible)\n", HEARTH_VERSION);
      return 0;
    }
  }
  hearth::tools::ArchiverOptions o;
  std::string inspect;
  CLI::App app{"hearth-archiver: package a model as a .mar archive (torch-model-archiver compatible)",
               "hearth-archiver"};
  app.add_option("--model-name,-n", o.model_name, "Model name; also the archive's file name");
  app.add_option("-v,--version", o.version, "Model version, e.g. 1.0");
  app.add_option("--serialized-file,-s", o.serialized_file, "TorchScript (.pt) or state-dict file");
  app.add_option("--model-file,-m", o.model_file, "Python model definition (eager mode; Hearth needs TorchScript)");
  app.add_option("--handler", o.handler, "Built-in handler name, handler file, or lib:Class for C++ handlers");
  app.add_option("--extra-files", o.extra_files, "Comma-separated files, directories or globs to include");
  app.add_option("-r,--requirements-file", o.requirements_file, "requirements.txt for Python handlers");
  app.add_option("-c,--config-file", o.config_file, "model-config.yaml");
  app.add_option("--export-path", o.export_path, "Where to write the archive (default: current directory)");
  app.add_option("--archive-format", o.archive_format, "default, zip-store, tgz or no-archive")
      ->check(CLI::IsMember({"default", "zip-store", "tgz", "no-archive"}));
  app.add_option("--runtime", o.runtime, "python, python3 or LSP")->check(CLI::IsMember({"python", "python3", "LSP"}));
  app.add_flag("-f,--force", o.force, "Overwrite an existing archive");
  app.add_option("--inspect", inspect, "Print an archive's manifest and files, then exit");
  CLI11_PARSE(app, argc, argv);

  if (!inspect.empty()) {
    auto text = hearth::archive::DescribeArchive(inspect);
    if (!text.ok()) {
      std::fprintf(stderr, "hearth-archiver: %s\n", text.status().message().c_str());
      return 1;
    }
    std::printf("%s", text->c_str());
    return 0;
  }
  if (o.model_name.empty() || o.handler.empty() || o.version.empty()) {
    std::fprintf(stderr, "hearth-archiver: --model-name, --handler and -v/--version are required (see -h)\n");
    return 2;
  }
  auto out = hearth::tools::CreateArchive(o);
  if (!out.ok()) {
    std::fprintf(stderr, "hearth-archiver: %s\n", out.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", out->c_str());
  return 0;
}
