#include "config/cli.h"

#include <CLI/CLI.hpp>

namespace hearth::config {

StatusOr<CliOptions> ParseCli(int argc, const char* const* argv) {
  CliOptions o;
  CLI::App app{"Hearth: a TorchServe-compatible model server for CPUs", "hearth"};
  bool start = false, stop = false, version = false;
  std::string ts_config, model_store, workflow_store, log_config, cpp_log_config, plugins_path;
  auto* start_opt = app.add_flag("--start", start, "Start the model server (the default action)");
  auto* stop_opt = app.add_flag("--stop", stop, "Stop the running model server");
  auto* version_opt = app.add_flag("-v,--version", version, "Print the version and exit");
  start_opt->excludes(stop_opt)->excludes(version_opt);
  stop_opt->excludes(version_opt);
  app.add_option("--ts-config,-f", ts_config, "Configuration file (config.properties)");
  app.add_option("--model-store", model_store, "Model store directory");
  app.add_option("--workflow-store", workflow_store, "Workflow store directory");
  app.add_option("--models", o.models, "Models to load at start: NAME=FILE.mar ... or all")->expected(1, -1);
  app.add_flag("--foreground", o.foreground, "Run in the foreground (with --stop: wait until stopped)");
  app.add_flag("--ncs,--no-config-snapshots", o.no_config_snapshots, "Neither write nor restore config snapshots");
  app.add_flag("--dt,--disable-token-auth", o.disable_token_auth, "Disable token authorization");
  app.add_flag("--enable-model-api", o.enable_model_api, "Allow registering and unregistering models");
  app.add_option("--log-config", log_config, "log4j2 configuration (ignored by Hearth)");
  app.add_option("--cpp-log-config", cpp_log_config, "C++ backend log configuration (ignored by Hearth)");
  app.add_option("--plugins-path,--ppath", plugins_path, "Java plugin directory (ignored by Hearth)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    o.action = CliAction::kHelp;
    o.help_text = app.help();
    return o;
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(std::string(e.what()) + " (see hearth --help)");
  }
  if (stop) o.action = CliAction::kStop;
  if (version) o.action = CliAction::kVersion;
  if (!ts_config.empty()) o.ts_config = ts_config;
  if (!model_store.empty()) o.model_store = model_store;
  if (!workflow_store.empty()) o.workflow_store = workflow_store;
  if (!log_config.empty()) o.ignored_flags.push_back("--log-config");
  if (!cpp_log_config.empty()) o.ignored_flags.push_back("--cpp-log-config");
  if (!plugins_path.empty()) o.ignored_flags.push_back("--plugins-path");
  return o;
}

}  // namespace hearth::config
