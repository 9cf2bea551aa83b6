#pragma once
// Downloading a model archive from an http(s) URL into the model store
// (registration with a remote url, allowed by allowed_urls). Blocking: call
// it from the blocking pool. The file appears atomically (written under a
// temporary name, then renamed); a body over `max_bytes` is refused.

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace hearth::core {

struct DownloadOptions {
  uint64_t max_bytes = 10ull << 30;
  int timeout_s = 300;
  int max_redirects = 5;
};

// Downloads `url` to `destination`. Errors name the URL and the reason.
Status DownloadFile(const std::string& url, const std::filesystem::path& destination, const DownloadOptions& options);

}  // namespace hearth::core
