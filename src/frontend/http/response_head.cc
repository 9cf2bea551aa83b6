#include "frontend/http/response_head.h"

#include <cstdio>

#include <ostream>  // before Beast: its string_view header needs it

#include <boost/beast/http/status.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace hearth::frontend {
namespace {

std::string ReasonPhrase(int code) {
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(code));
  if (reason != "<unknown-status>") return std::string(reason);
  const char* cls = code < 200 ? "Informational" : code < 300 ? "Success" : code < 400 ? "Redirection"
                    : code < 500 ? "Client Error" : "Server Error";
  return std::string(cls) + " (" + std::to_string(code) + ")";
}

// Fields in order; Set() drops an earlier field of the same name first.
class Fields {
 public:
  void Set(std::string_view name, std::string_view value) {
    for (auto it = fields_.begin(); it != fields_.end();) {
      it = EqualsIgnoreCase(it->first, name) ? fields_.erase(it) : it + 1;
    }
    fields_.emplace_back(name, value);
  }
  void AppendTo(std::string& out) const {
    for (const auto& [name, value] : fields_) {
      out.append(name).append(": ").append(value).append("\r\n");
    }
  }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> fields_;
};

}  // namespace

std::string SerializeResponseHead(const HttpResponse& r, const ResponseDecoration& decoration, bool keep_alive) {
  Fields fields;
  for (const auto& [name, value] : r.headers) fields.Set(name, value);
  fields.Set("Pragma", "no-cache");
  fields.Set("Cache-Control", "no-cache; no-store, must-revalidate, private");
  fields.Set("Expires", "Thu, 01 Jan 1970 00:00:00 UTC");
  if (!decoration.cors_allowed_origin.empty()) fields.Set("Access-Control-Allow-Origin", decoration.cors_allowed_origin);
  if (!decoration.cors_allowed_methods.empty()) {
    fields.Set("Access-Control-Allow-Methods", decoration.cors_allowed_methods);
  }
  if (!decoration.cors_allowed_headers.empty()) {
    fields.Set("Access-Control-Allow-Headers", decoration.cors_allowed_headers);
  }
  if (!r.content_type.empty()) fields.Set("Content-Type", r.content_type);
  fields.Set("Connection", keep_alive ? "keep-alive" : "close");
  const std::string length = std::to_string(r.body.size());  // outlives `fields`' views
  if (r.more) {
    fields.Set("Transfer-Encoding", "chunked");
  } else {
    fields.Set("Content-Length", length);
  }
  std::string out;
  out.reserve(320);
  out.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ").append(ReasonPhrase(r.status)).append("\r\n");
  fields.AppendTo(out);
  out.append("\r\n");
  return out;
}

std::string ChunkHeader(size_t size) {
  char hex[32];
  const int n = std::snprintf(hex, sizeof hex, "%zx\r\n", size);
  return std::string(hex, static_cast<size_t>(n));
}

}  // namespace hearth::frontend
