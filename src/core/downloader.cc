#include "core/downloader.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>

#include "common/ids.h"
#include "common/strings.h"

namespace hearth::core {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

StatusOr<Url> ParseUrl(const std::string& text) {
  Url u;
  std::string rest;
  if (StartsWith(ToLower(text), "https://")) {
    u.tls = true;
    rest = text.substr(8);
  } else if (StartsWith(ToLower(text), "http://")) {
    rest = text.substr(7);
  } else {
    return InvalidArgument("not an http(s) URL: " + text);
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  } else {
    u.host = hostport;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) return InvalidArgument("no host in URL: " + text);
  return u;
}

// One GET; on a redirect sets `location` and returns OK without a body.
template <class Stream>
Status Fetch(Stream& stream, const Url& url, const fs::path& tmp, const DownloadOptions& o, std::string& location) {
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "hearth");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(o.max_bytes);
  http::read_header(stream, buffer, parser);
  const unsigned status = parser.get().result_int();
  if (status >= 300 && status < 400) {
    location = std::string(parser.get()[http::field::location]);
    if (location.empty()) return InvalidArgument("redirect without a Location header");
    return Status::Ok();
  }
  if (status != 200) return InvalidArgument("HTTP status " + std::to_string(status));
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return Internal("cannot write " + tmp.string());
  std::vector<char> chunk(1 << 16);
  uint64_t total = 0;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      return InvalidArgument("the archive is larger than the download limit of " + std::to_string(o.max_bytes) +
                             " bytes");
    }
    if (ec) return InvalidArgument(ec.message());
    size_t got = chunk.size() - parser.get().body().size;
    total += got;
    if (total > o.max_bytes) {
      return InvalidArgument("the archive is larger than the download limit of " + std::to_string(o.max_bytes) +
                             " bytes");
    }
    out.write(chunk.data(), static_cast<std::streamsize>(got));
  }
  if (!out) return Internal("cannot write " + tmp.string());
  return Status::Ok();
}

}  // namespace

Status DownloadFile(const std::string& start_url, const fs::path& destination, const DownloadOptions& o) {
  fs::path tmp = destination;
  tmp += ".download-" + RandomHex(4);
  std::string url_text = start_url;
  Status result = InvalidArgument("too many redirects");
  for (int hop = 0; hop <= o.max_redirects; ++hop) {
    auto url = ParseUrl(url_text);
    if (!url.ok()) {
      result = url.status();
      break;
    }
    std::string location;
    try {
      asio::io_context io;
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(url->host, url->port);
      if (url->tls) {
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.set_default_verify_paths();
        ctx.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
        SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str());
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(o.timeout_s));
        beast::get_lowest_layer(stream).connect(endpoints);
        stream.handshake(asio::ssl::stream_base::client);
        result = Fetch(stream, *url, tmp, o, location);
      } else {
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds(o.timeout_s));
        stream.connect(endpoints);
        result = Fetch(stream, *url, tmp, o, location);
      }
    } catch (const std::exception& e) {
      result = InvalidArgument(e.what());
    }
    if (!result.ok() || location.empty()) break;
    // Relative redirects keep the scheme and host.
    if (StartsWith(location, "/")) location = (url->tls ? "https://" : "http://") + url->host + ":" + url->port + location;
    url_text = location;
    result = InvalidArgument("too many redirects");
  }
  std::error_code ec;
  if (!result.ok()) {
    fs::remove(tmp, ec);
    return Status(result.code(), "Failed to download archive from: " + start_url + " (" + result.message() + ")");
  }
  fs::rename(tmp, destination, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Internal("cannot move the download to " + destination.string());
  }
  return Status::Ok();
}

}  // namespace hearth::core
