#include "core/python_deps.h"

#include "common/logging.h"
#include "common/strings.h"
#include "core/process.h"

namespace hearth::core {
namespace fs = std::filesystem;

namespace {

// pip's most telling line: its last "ERROR:" line, else its last line.
std::string PipError(const std::string& output) {
  std::string last, error;
  for (const std::string& line : Split(output, '\n')) {
    const std::string trimmed(Trim(line));
    if (trimmed.empty()) continue;
    last = trimmed;
    if (StartsWith(trimmed, "ERROR: ")) error = trimmed.substr(7);
  }
  return error.empty() ? last : error;
}

}  // namespace

StatusOr<std::string> InstallPythonDeps(const PythonDepsOptions& o) {
  const std::string where = "model \"" + o.model + "\": " + o.requirements.filename().string();
  auto fail = [&](const std::string& message) {
    std::error_code ec;
    fs::remove_all(o.venv_dir, ec);
    return InvalidArgument(where + ": " + message);
  };
  SpawnOptions venv{o.python, {"-m", "venv", "--system-site-packages", "--without-pip", o.venv_dir.string()}, o.env, {}};
  ASSIGN_OR_RETURN(CommandResult made, RunCommand(venv, std::chrono::seconds(60)));
  if (!made.Succeeded()) return fail("cannot create a virtual environment with " + o.python + ": " + PipError(made.output));
  const std::string venv_python = (o.venv_dir / "bin" / "python").string();
  SpawnOptions pip{o.python,
                   {"-m", "pip", "--python", venv_python, "install", "--disable-pip-version-check", "--no-input",
                    "--retries", "1", "--timeout", "15", "-r", o.requirements.string()},
                   o.env,
                   {}};
  HLOG_INFO("{}: installing into {}", where, o.venv_dir.string());
  ASSIGN_OR_RETURN(CommandResult installed, RunCommand(pip, o.timeout));
  for (const std::string& line : Split(installed.output, '\n')) {
    if (!Trim(line).empty()) logging::Model(spdlog::level::info, o.model + "-pip", std::string(Trim(line)));
  }
  if (installed.timed_out) return fail("pip did not finish within " + std::to_string(o.timeout.count()) + " s");
  if (!installed.Succeeded()) {
    return fail(PipError(installed.output) +
                " (pip's output is in model_log.log; is a package index reachable? pip reads PIP_INDEX_URL, "
                "PIP_FIND_LINKS and pip.conf)");
  }
  return venv_python;
}

}  // namespace hearth::core
