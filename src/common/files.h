#pragma once
// File-system helpers with Status errors that name the path.

#include <filesystem>
#include <string>

#include "common/status.h"

namespace hearth {

StatusOr<std::string> ReadFile(const std::filesystem::path& path);
// Writes to "<path>.tmp-<random>" and renames over `path`, so readers never
// see a half-written file.
Status WriteFileAtomic(const std::filesystem::path& path, const std::string& contents);
// Creates a fresh directory "<root>/<32 random hex>" (root is created too).
StatusOr<std::filesystem::path> MakeUniqueDir(const std::filesystem::path& root);
// The system temp dir: $TMPDIR, $TEMP, $TMP, else /tmp.
std::filesystem::path TempDir();

}  // namespace hearth
