#include "tools/bench/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tools/bench/load_generator.h"

namespace hearth::bench {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

StatusOr<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& body,
                             int timeout_s) {
  LoadSpec where;
  RETURN_IF_ERROR(ParseTargetUrl(url, where));
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    tcp::resolver resolver(io);
    stream.expires_after(std::chrono::seconds(timeout_s));
    stream.connect(resolver.resolve(where.host, std::to_string(where.port)));
    http::request<http::string_body> req(http::string_to_verb(method), where.path, 11);
    req.set(http::field::host, where.host);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256ull << 20);
    http::read(stream, buffer, parser);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpReply{static_cast<int>(parser.get().result_int()), parser.get().body()};
  } catch (const std::exception& e) {
    return Unavailable(method + " " + url + ": " + e.what());
  }
}

}  // namespace hearth::bench
