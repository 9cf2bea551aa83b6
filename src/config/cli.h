#pragma once
// The `hearth` command line, with torchserve's flags. Parsing is pure: it
// turns argv into CliOptions or an error message to print.

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::config {

enum class CliAction { kStart, kStop, kVersion, kHelp };

struct CliOptions {
  CliAction action = CliAction::kStart;
  std::optional<std::string> ts_config;       // --ts-config
  std::optional<std::string> model_store;     // --model-store
  std::optional<std::string> workflow_store;  // --workflow-store
  std::vector<std::string> models;            // --models (joined with ',' into load_models)
  bool foreground = false;                    // --foreground
  bool no_config_snapshots = false;           // --ncs / --no-config-snapshots
  bool disable_token_auth = false;            // --disable-token-auth / --dt
  bool enable_model_api = false;              // --enable-model-api
  std::vector<std::string> ignored_flags;     // accepted for compatibility, ignored with a warning
  std::string help_text;                      // filled for kHelp
};

// argv[0] is the program name. Errors say which flag is wrong.
StatusOr<CliOptions> ParseCli(int argc, const char* const* argv);

}  // namespace hearth::config
