#pragma once
// Transport-free HTTP request/response, the boundary between the socket code
// (http_server) and the API routes (api_router).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::frontend {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // upper case as sent
  std::string target;   // path + query, as sent
  std::string path;     // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  HeaderList headers;   // names lower-cased
  std::string body;
  std::string remote;   // "/ip:port", TorchServe's access-log form
  unsigned version = 11;  // 10 or 11

  // Last value of a header (lower-case name), or "".
  std::string Header(std::string_view name) const;
  // Whether a query parameter is present, and its (first) value.
  bool HasQuery(std::string_view name) const;
  std::string Query(std::string_view name, std::string fallback = "") const;
  // Content-Type without parameters, lower-cased.
  std::string MediaType() const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type;  // "" -> no Content-Type header
  HeaderList headers;
  bool close_connection = false;
  // A streamed part: more parts of this answer follow. The first part's
  // status and headers are the answer's (chunked transfer); later parts
  // contribute only their body.
  bool more = false;
};

// Called from any thread: any number of times with parts (more = true),
// then exactly once with the answer (more = false); what comes after the
// answer is ignored.
using Responder = std::function<void(HttpResponse)>;

}  // namespace hearth::frontend
