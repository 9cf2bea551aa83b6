#pragma once
// A parser for java.util.Properties text, the format of TorchServe's
// config.properties: `key=value`, `key: value` or `key value`; `#`/`!`
// comments; a trailing backslash continues the line (the next line's leading
// whitespace is dropped, which is how `models={\ ...}` spans lines); \t \n \r
// \f \uXXXX escapes; a later duplicate key replaces an earlier one. Pure.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::config {

struct Property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts
};

// Entries in file order; duplicates keep only the last value, at the position
// of the first occurrence.
std::vector<Property> ParseJavaProperties(std::string_view text);

// Escapes a key or value for Properties.store (= : # ! and backslashes,
// leading spaces, non-ASCII as \uXXXX), as TorchServe's snapshots do.
std::string EscapePropertyText(std::string_view text, bool is_key);

}  // namespace hearth::config
