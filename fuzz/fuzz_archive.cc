// libFuzzer target: model archives (zip, tar.gz) from untrusted bytes,
// with small limits; nothing may be written outside the extraction root.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "archive/archive_reader.h"
#include "archive/manifest.h"
#include "config/model_config.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root = fs::temp_directory_path() / ("hearth-fuzz-" + std::to_string(getpid()));
  fs::create_directories(root);
  fs::path file = root / "input.mar";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  hearth::archive::ExtractOptions options;
  options.extraction_root = root / "extract";
  options.max_total_bytes = 1 << 20;
  options.max_entries = 200;
  auto opened = hearth::archive::OpenModelArchive(file, options);
  if (opened.ok() && !opened->extracted_dir.empty()) {
    fs::remove_all(opened->extracted_dir);
  }
  // The manifest and YAML parsers on the same bytes.
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)hearth::archive::ParseManifest(text, "fuzz");
  (void)hearth::config::ParseModelYaml(text, "fuzz");
  return 0;
}
