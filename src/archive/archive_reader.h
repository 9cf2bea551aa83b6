#pragma once
// Opens a model archive the way TorchServe's server does: a .mar (ZIP), a
// gzip tar (.tar.gz/.tgz), or a directory used in place. Archives are
// extracted into a fresh "<extraction_root>/<32 hex>/" directory; a lone
// top-level directory without a manifest is entered (the tgz layout).
//
// Extraction is defensive: entries with absolute paths or ".." components,
// symbolic links, device files, more than `max_entries` entries or more than
// `max_total_bytes` of uncompressed data are refused, and the partial
// extraction is deleted. Files are streamed, never held in memory whole.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "archive/manifest.h"
#include "common/status.h"

namespace hearth::archive {

struct ExtractOptions {
  std::filesystem::path extraction_root;  // e.g. /tmp/models
  uint64_t max_total_bytes = 64ull << 30;  // zip-bomb guard
  uint64_t max_entries = 100000;
};

struct OpenedArchive {
  std::filesystem::path model_dir;  // where the model's files are
  std::filesystem::path extracted_dir;  // to delete on unload; empty for a directory used in place
  std::optional<Manifest> manifest;  // absent when the archive has none
};

StatusOr<OpenedArchive> OpenModelArchive(const std::filesystem::path& source, const ExtractOptions& options);

// Kinds of archive, by content (magic bytes), not by name.
enum class ArchiveKind { kDirectory, kZip, kTarGz, kUnknown };
ArchiveKind DetectArchiveKind(const std::filesystem::path& source);

// True when `entry` is a relative path that stays inside its root: no
// absolute path, no ".." component, no NUL. Pure.
bool IsSafeEntryPath(const std::string& entry);

}  // namespace hearth::archive
