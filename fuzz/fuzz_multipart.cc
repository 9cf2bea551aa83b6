// libFuzzer target: multipart/form-data, urlencoded and query-string parsing.
#include <cstdint>
#include <string>

#include "frontend/http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  std::string content_type = split == std::string::npos ? "multipart/form-data; boundary=x" : input.substr(0, split);
  std::string body = split == std::string::npos ? input : input.substr(split + 1);
  auto parts = hearth::frontend::ParseMultipart(content_type, body);
  if (parts.ok()) {
    for (const auto& p : *parts) {
      if (p.value.size() > body.size()) __builtin_trap();  // a part cannot be larger than the body
    }
  }
  hearth::frontend::ParseUrlEncoded(body);
  hearth::frontend::ParseQueryString(body);
  return 0;
}
