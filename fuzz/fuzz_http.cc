// libFuzzer target: HTTP request parsing with the server's limits (Beast's
// parser as configured in http_server.cc) and the URL decoding after it.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>

#include "common/strings.h"
#include "frontend/http/multipart.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && parser.is_header_done()) {
    std::string target(parser.get().target());
    size_t q = target.find('?');
    (void)hearth::UrlDecode(target.substr(0, q), false);
    if (q != std::string::npos) (void)hearth::frontend::ParseQueryString(target.substr(q + 1));
  }
  return 0;
}
