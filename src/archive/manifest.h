#pragma once
// MAR-INF/MANIFEST.json, as torch-model-archiver 0.12 writes it:
//   {"createdOn": "17/03/2025 11:20:57", "runtime": "python",
//    "model": {"modelName": ..., "serializedFile": ..., "handler": ...,
//              "modelFile": ..., "modelVersion": ..., "requirementsFile": ...,
//              "configFile": ...},
//    "archiverVersion": "0.12.0"}
// Keys in that order, 2-space indent, unset optional keys omitted. Pure.

#include <string>

#include "common/json.h"
#include "common/status.h"

namespace hearth::archive {

inline constexpr char kManifestPath[] = "MAR-INF/MANIFEST.json";

struct Manifest {
  std::string created_on;        // "%d/%m/%Y %H:%M:%S", local time
  std::string runtime = "python";
  std::string model_name;
  std::string serialized_file;   // optional
  std::string handler;
  std::string model_file;        // optional
  std::string model_version;     // optional when written; "1.0" when read without one
  std::string requirements_file; // optional
  std::string config_file;       // optional
  std::string archiver_version;
  Json extra_model_keys = Json::object();  // other "model" keys, kept as-is
};

// Reads a manifest. `origin` (the archive path) prefixes error messages.
StatusOr<Manifest> ParseManifest(const std::string& text, const std::string& origin);
// Serializes exactly in torch-model-archiver's layout.
std::string SerializeManifest(const Manifest& manifest);

// TorchServe's model name rule: ^[A-Za-z0-9][A-Za-z0-9_\-.]*$
bool IsValidModelName(const std::string& name);
// The runtimes a manifest may name.
bool IsValidRuntime(const std::string& runtime);

}  // namespace hearth::archive
