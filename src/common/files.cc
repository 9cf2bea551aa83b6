#include "common/files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace hearth {
namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Internal("cannot read " + path.string());
  return ss.str();
}

Status WriteFileAtomic(const fs::path& path, const std::string& contents) {
  fs::path tmp = path;
  tmp += ".tmp-" + RandomHex(4);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Internal("cannot write " + tmp.string());
    out << contents;
    out.flush();
    if (!out) return Internal("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Internal("cannot rename " + tmp.string() + " to " + path.string());
  }
  return Status::Ok();
}

StatusOr<fs::path> MakeUniqueDir(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Internal("cannot create " + root.string() + ": " + ec.message());
  for (int attempt = 0; attempt < 8; ++attempt) {
    fs::path dir = root / RandomHex(16);
    if (fs::create_directory(dir, ec)) return dir;
  }
  return Internal("cannot create a directory under " + root.string());
}

fs::path TempDir() {
  for (const char* name : {"TMPDIR", "TEMP", "TMP"}) {
    const char* v = std::getenv(name);
    if (v && *v) return v;
  }
  return "/tmp";
}

}  // namespace hearth
