#include "frontend/http/multipart.h"

#include "common/strings.h"

namespace hearth::frontend {
namespace {

// Value of a parameter like boundary=... or name="..." in a header value.
std::string HeaderParam(std::string_view header, std::string_view param) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t semi = header.find(';', pos);
    std::string_view item = Trim(header.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(Trim(item.substr(0, eq)), param)) {
      std::string_view v = Trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return "";
}

}  // namespace

StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body) {
  std::string boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty()) return InvalidArgument("multipart body without a boundary parameter in Content-Type");
  const std::string delimiter = "--" + boundary;
  std::vector<FormPart> parts;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return InvalidArgument("multipart body does not contain its boundary");
  pos += delimiter.size();
  while (true) {
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    // Skip transport padding and the CRLF after the delimiter.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) == "\r\n") pos += 2;
    else if (body.substr(pos, 1) == "\n") pos += 1;
    else return InvalidArgument("malformed multipart body: expected a line break after the boundary");
    size_t headers_end = body.find("\r\n\r\n", pos);
    size_t sep = 4;
    if (headers_end == std::string_view::npos) {
      headers_end = body.find("\n\n", pos);
      sep = 2;
    }
    if (headers_end == std::string_view::npos) return InvalidArgument("malformed multipart body: part without headers end");
    FormPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    for (const std::string& line : Split(headers, '\n')) {
      std::string_view l = Trim(line);
      size_t colon = l.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view key = Trim(l.substr(0, colon));
      std::string_view value = Trim(l.substr(colon + 1));
      if (EqualsIgnoreCase(key, "content-disposition")) {
        part.name = HeaderParam(value, "name");
        part.filename = HeaderParam(value, "filename");
      } else if (EqualsIgnoreCase(key, "content-type")) {
        std::string_view v = value.substr(0, value.find(';'));
        part.content_type = ToLower(Trim(v));
      }
    }
    size_t data_start = headers_end + sep;
    size_t next = body.find(delimiter, data_start);
    if (next == std::string_view::npos) return InvalidArgument("malformed multipart body: missing closing boundary");
    size_t data_end = next;
    if (data_end >= 2 && body.substr(data_end - 2, 2) == "\r\n") data_end -= 2;
    else if (data_end >= 1 && body[data_end - 1] == '\n') data_end -= 1;
    if (data_end < data_start) data_end = data_start;
    part.value = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
    if (pos > body.size()) break;
  }
  return parts;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (const std::string& item : Split(query, '&')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      out.emplace_back(UrlDecode(item, true), "");
    } else {
      out.emplace_back(UrlDecode(item.substr(0, eq), true), UrlDecode(item.substr(eq + 1), true));
    }
  }
  return out;
}

std::vector<FormPart> ParseUrlEncoded(std::string_view body) {
  std::vector<FormPart> parts;
  for (auto& [k, v] : ParseQueryString(body)) {
    FormPart p;
    p.name = k;
    p.value = v;
    parts.push_back(std::move(p));
  }
  return parts;
}

}  // namespace hearth::frontend
