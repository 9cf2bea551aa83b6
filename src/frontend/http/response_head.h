#pragma once
// The status line and header block the server writes ahead of a response
// body, built in one string (one buffer for the socket, no Beast serializer
// per response). Pure.

#include <string>

#include "frontend/http/http_types.h"

namespace hearth::frontend {

// CORS headers from config.properties, on every response when set.
struct ResponseDecoration {
  std::string cors_allowed_origin;
  std::string cors_allowed_methods;
  std::string cors_allowed_headers;
};

// "HTTP/1.1 <code> <reason>\r\n", the handler's headers, TorchServe's
// no-cache headers (Pragma, Cache-Control, Expires), the CORS headers,
// Content-Type (when set), Connection (keep-alive or close) and
// Content-Length of `r.body`, then the blank line. A later header replaces
// an earlier one of the same name (case-insensitive), so the server's own
// headers win over a handler's. A code without a standard reason phrase gets
// Netty's form, "Client Error (418)". The first part of a stream (r.more)
// gets "Transfer-Encoding: chunked" instead of Content-Length.
std::string SerializeResponseHead(const HttpResponse& r, const ResponseDecoration& decoration, bool keep_alive);

// The line ahead of one chunk of a chunked body: its size in hex and CRLF
// (the chunk itself is followed by CRLF; a size of 0 ends the body).
std::string ChunkHeader(size_t size);

}  // namespace hearth::frontend
