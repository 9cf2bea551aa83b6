#pragma once
// JSON in TorchServe's wire style: 2-space indent, ": " and ",", non-ASCII as
// \uXXXX, keys in insertion order, and a trailing newline for frontend bodies.

#include <string>

#include <nlohmann/json.hpp>

namespace hearth {

using Json = nlohmann::ordered_json;

// Pretty JSON as TorchServe's frontend writes it (with trailing "\n").
std::string FrontendJson(const Json& value);
// Pretty JSON as Python's json.dumps(v, indent=2) writes it (no newline).
std::string PythonJson(const Json& value);

}  // namespace hearth
