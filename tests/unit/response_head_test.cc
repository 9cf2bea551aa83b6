// SerializeResponseHead against Beast's own serializer, fed the way the
// server used to build its responses: the same bytes on the wire.
#include "frontend/http/response_head.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <sstream>

namespace hearth::frontend {
namespace {
namespace http = boost::beast::http;

std::string BeastBytes(const HttpResponse& r, const ResponseDecoration& d, bool keep) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(r.status));
  res.reason("");
  if (http::obsolete_reason(res.result()) == boost::beast::string_view("<unknown-status>")) {
    const int code = r.status;
    const char* cls = code < 200 ? "Informational" : code < 300 ? "Success" : code < 400 ? "Redirection"
                      : code < 500 ? "Client Error" : "Server Error";
    res.reason(std::string(cls) + " (" + std::to_string(code) + ")");
  }
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.set("Pragma", "no-cache");
  res.set(http::field::cache_control, "no-cache; no-store, must-revalidate, private");
  res.set(http::field::expires, "Thu, 01 Jan 1970 00:00:00 UTC");
  if (!d.cors_allowed_origin.empty()) res.set("Access-Control-Allow-Origin", d.cors_allowed_origin);
  if (!d.cors_allowed_methods.empty()) res.set("Access-Control-Allow-Methods", d.cors_allowed_methods);
  if (!d.cors_allowed_headers.empty()) res.set("Access-Control-Allow-Headers", d.cors_allowed_headers);
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  res.keep_alive(keep);
  res.set(http::field::connection, keep ? "keep-alive" : "close");
  res.body() = r.body;
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

TEST(ResponseHeadTest, SameBytesAsBeast) {
  ResponseDecoration none;
  ResponseDecoration cors{"*", "GET, POST", "X-Custom"};
  HttpResponse json{200, "{\"a\": 1}\n", "application/json", {}, false};
  HttpResponse empty{404, "", "", {}, false};
  HttpResponse teapot{418, "short and stout", "text/plain", {{"X-Request-Id", "abc"}}, false};
  HttpResponse handler_headers{201, "x", "application/octet-stream",
                               {{"content-type", "text/html"}, {"X-Custom", "1"}, {"pragma", "cache"}}, true};
  HttpResponse unknown_5xx{599, "", "", {}, false};
  for (const HttpResponse* r : {&json, &empty, &teapot, &handler_headers, &unknown_5xx}) {
    for (const ResponseDecoration* d : {&none, &cors}) {
      for (bool keep : {true, false}) {
        EXPECT_EQ(SerializeResponseHead(*r, *d, keep) + r->body, BeastBytes(*r, *d, keep))
            << "status " << r->status << " keep " << keep;
      }
    }
  }
}

TEST(ResponseHeadTest, TheFirstPartOfAStreamIsChunkedLikeBeast) {
  HttpResponse part{200, "part0", "text/plain", {}, false};
  part.more = true;
  http::response<http::string_body> res;
  res.version(11);
  res.result(200);
  res.reason("");
  res.set("Pragma", "no-cache");
  res.set(http::field::cache_control, "no-cache; no-store, must-revalidate, private");
  res.set(http::field::expires, "Thu, 01 Jan 1970 00:00:00 UTC");
  res.set(http::field::content_type, "text/plain");
  res.set(http::field::connection, "keep-alive");
  res.chunked(true);
  std::ostringstream beast_head;
  beast_head << res.base();
  EXPECT_EQ(SerializeResponseHead(part, ResponseDecoration{}, true), beast_head.str());
}

TEST(ResponseHeadTest, ChunkHeaderIsTheSizeInHex) {
  EXPECT_EQ(ChunkHeader(0), "0\r\n");
  EXPECT_EQ(ChunkHeader(6), "6\r\n");
  EXPECT_EQ(ChunkHeader(255), "ff\r\n");
  EXPECT_EQ(ChunkHeader(65536), "10000\r\n");
}

}  // namespace
}  // namespace hearth::frontend
