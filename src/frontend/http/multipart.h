#pragma once
// Request body forms: multipart/form-data (RFC 7578) and
// application/x-www-form-urlencoded, parsed into named parts. Pure; bounded
// by the body it is given (the server already enforces max_request_size).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::frontend {

struct FormPart {
  std::string name;
  std::string filename;      // "" for plain fields
  std::string content_type;  // without parameters; "" when the part has none
  std::string value;
};

// `content_type` is the full request Content-Type (it carries the boundary).
StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body);
std::vector<FormPart> ParseUrlEncoded(std::string_view body);
// Splits "a=1&b=2" into decoded pairs ('+' is a space).
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace hearth::frontend
