#include "frontend/http/http_types.h"

#include "common/strings.h"

namespace hearth::frontend {

std::string HttpRequest::Header(std::string_view name) const {
  std::string value;
  for (const auto& [k, v] : headers) {
    if (k == name) value = v;
  }
  return value;
}

bool HttpRequest::HasQuery(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

std::string HttpRequest::Query(std::string_view name, std::string fallback) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return fallback;
}

std::string HttpRequest::MediaType() const {
  std::string ct = Header("content-type");
  size_t semi = ct.find(';');
  if (semi != std::string::npos) ct = ct.substr(0, semi);
  return ToLower(Trim(ct));
}

}  // namespace hearth::frontend
