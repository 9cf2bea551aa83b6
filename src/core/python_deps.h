#pragma once
// A model's requirements.txt, installed for it alone
// (install_py_dep_per_model=true, TorchServe's key): a virtual environment
// of its own that also sees the system's packages (Debian's python3-torch),
// filled by pip from whatever package index pip is configured to use
// (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf). Nothing is installed into the
// system Python. Requirements the system already satisfies need no index.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::core {

struct PythonDepsOptions {
  std::string python;                     // the interpreter the venv is made from
  std::filesystem::path requirements;     // requirements.txt
  std::filesystem::path venv_dir;         // created; must not exist
  std::vector<std::string> env;           // pip's environment
  std::string model;                      // names the model in messages
  std::chrono::seconds timeout{600};      // for the whole install
};

// Blocking (pip). Returns the venv's interpreter. On failure the venv is
// removed and the error names the requirement pip could not install, e.g.
//   model "m": requirements.txt: No matching distribution found for left-pad-xyz
//   (pip: no package index reachable? see PIP_INDEX_URL)
StatusOr<std::string> InstallPythonDeps(const PythonDepsOptions& options);

}  // namespace hearth::core
