// libFuzzer target: config.properties parsing and validation.
#include <cstdint>
#include <map>
#include <string>

#include "config/java_properties.h"
#include "config/server_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> props;
  for (auto& p : hearth::config::ParseJavaProperties(text)) props[p.key] = p.value;
  hearth::config::CliOptions cli;
  auto config = hearth::config::BuildServerConfig(props, "fuzz.properties", cli, {{"HOME", "/root"}});
  (void)config;
  // Escaping round-trips through the parser.
  for (const auto& [k, v] : props) {
    std::string line = hearth::config::EscapePropertyText(k, true) + "=" + hearth::config::EscapePropertyText(v, false);
    auto back = hearth::config::ParseJavaProperties(line);
    if (back.size() != 1 || back[0].value != v) {
      // Only non-UTF-8 bytes may not survive the \uXXXX escaping.
      bool ascii = true;
      for (unsigned char c : v) ascii = ascii && c < 0x80;
      if (ascii && !k.empty()) __builtin_trap();
    }
  }
  return 0;
}
