#include "config/java_properties.h"

#include <cstdint>
#include <cstdio>

namespace hearth::config {
namespace {

bool IsWhite(char c) { return c == ' ' || c == '\t' || c == '\f'; }

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<std::string_view> NaturalLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, end - pos));
    pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  return lines;
}

// Splits text into logical lines (continuations joined), each with the line
// number where it starts. Comment and blank lines are dropped.
std::vector<std::pair<std::string, int>> LogicalLines(std::string_view text) {
  std::vector<std::pair<std::string, int>> lines;
  std::string current;
  int current_start = 0;
  bool continuing = false;
  int line_no = 0;
  for (std::string_view natural : NaturalLines(text)) {
    ++line_no;
    size_t i = 0;
    while (i < natural.size() && IsWhite(natural[i])) ++i;
    natural.remove_prefix(i);
    if (!continuing) {
      if (natural.empty() || natural[0] == '#' || natural[0] == '!') continue;
      current.clear();
      current_start = line_no;
    }
    size_t backslashes = 0;
    while (backslashes < natural.size() && natural[natural.size() - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) {
      current.append(natural.substr(0, natural.size() - 1));
      continuing = true;
    } else {
      current.append(natural);
      continuing = false;
      lines.emplace_back(current, current_start);
    }
  }
  if (continuing) lines.emplace_back(current, current_start);
  return lines;
}

// Decodes escapes in [begin, end) of `s`.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        uint32_t cp = 0;
        size_t j = 0;
        for (; j < 4 && i + 1 + j < s.size(); ++j) {
          char h = s[i + 1 + j];
          int v = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
          if (v < 0) break;
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (j == 4) {
          AppendUtf8(out, cp);
          i += 4;
        } else {
          out += 'u';
        }
        break;
      }
      default: out += e;
    }
  }
  return out;
}

}  // namespace

std::vector<Property> ParseJavaProperties(std::string_view text) {
  std::vector<Property> props;
  for (auto& [line, line_no] : LogicalLines(text)) {
    // The key ends at the first unescaped '=', ':' or whitespace.
    size_t i = 0;
    bool escaped = false;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
        continue;
      }
      if (c == '=' || c == ':' || IsWhite(c)) break;
    }
    std::string key = Unescape(std::string_view(line).substr(0, i));
    size_t v = i;
    while (v < line.size() && IsWhite(line[v])) ++v;
    if (v < line.size() && (line[v] == '=' || line[v] == ':')) {
      ++v;
      while (v < line.size() && IsWhite(line[v])) ++v;
    }
    std::string value = Unescape(std::string_view(line).substr(v));
    bool replaced = false;
    for (auto& p : props) {
      if (p.key == key) {
        p.value = value;
        replaced = true;
        break;
      }
    }
    if (!replaced) props.push_back({std::move(key), std::move(value), line_no});
  }
  return props;
}

std::string EscapePropertyText(std::string_view text, bool is_key) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '\\': out += "\\\\"; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\f': out += "\\f"; continue;
      case '=': case ':': case '#': case '!': out += '\\'; out += static_cast<char>(c); continue;
      case ' ':
        if (i == 0 || is_key) out += '\\';
        out += ' ';
        continue;
      default: break;
    }
    if (c < 0x20 || c >= 0x7F) {
      // Decode one UTF-8 sequence and write it as \uXXXX.
      uint32_t cp = c;
      int extra = 0;
      if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; extra = 1; }
      else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; extra = 2; }
      else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; extra = 3; }
      for (int k = 0; k < extra && i + 1 < text.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      char buf[16];
      auto emit = [&](uint32_t unit) {
        std::snprintf(buf, sizeof(buf), "\\u%04X", unit);
        out += buf;
      };
      if (cp > 0xFFFF) {
        cp -= 0x10000;
        emit(0xD800 + (cp >> 10));
        emit(0xDC00 + (cp & 0x3FF));
      } else {
        emit(cp);
      }
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace hearth::config
