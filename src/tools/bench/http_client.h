#pragma once
// A small blocking HTTP/1.1 client for the benchmark's control calls
// (ping, register, metrics scrapes); the load itself uses LoadGenerator.

#include <string>

#include "common/status.h"

namespace hearth::bench {

struct HttpReply {
  int status = 0;
  std::string body;
};

// url: http://host:port/path?query. Fails on connection errors and after
// timeout_s; any HTTP status is a reply.
StatusOr<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                             int timeout_s = 30);

}  // namespace hearth::bench
