#include "frontend/http/http_server.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <deque>
#include <chrono>

#include "common/clock.h"
#include "common/logging.h"
#include "common/strings.h"
#include "frontend/http/multipart.h"

namespace hearth::frontend {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  // Plain TCP.
  Session(tcp::socket socket, const ListenerOptions& options, RequestHandler handler,
          std::shared_ptr<const ResponseDecoration> decoration, std::shared_ptr<std::atomic<int>> in_flight)
      : stream_(std::move(socket)), options_(options), handler_(std::move(handler)),
        decoration_(std::move(decoration)), in_flight_(std::move(in_flight)) {
    Init();
  }
  // TLS over TCP.
  Session(tcp::socket socket, asio::ssl::context& tls, const ListenerOptions& options, RequestHandler handler,
          std::shared_ptr<const ResponseDecoration> decoration, std::shared_ptr<std::atomic<int>> in_flight)
      : stream_(std::move(socket), tls), options_(options), handler_(std::move(handler)),
        decoration_(std::move(decoration)), in_flight_(std::move(in_flight)) {
    Init();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(self->stream_).expires_after(self->options_.header_timeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->ReadHeader();
        });
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

  tcp::socket& Socket() { return beast::get_lowest_layer(stream_).socket(); }
  void Expire(std::chrono::seconds after) { beast::get_lowest_layer(stream_).expires_after(after); }

  void Init() {
    beast::error_code ec;
    auto ep = Socket().remote_endpoint(ec);
    if (!ec) remote_ = "/" + ep.address().to_string() + ":" + std::to_string(ep.port());
    Socket().set_option(tcp::no_delay(true), ec);
    // WriteNext tries a plain write before it waits.
    if constexpr (std::is_same_v<Stream, PlainStream>) Socket().non_blocking(true, ec);
  }

  void ReadHeader() {
    // An idle connection keeps a small buffer (10k idle clients stay cheap).
    if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(static_cast<std::uint64_t>(options_.max_request_size));
    // Idle keep-alive time and the header read share one deadline.
    Expire(first_request_ ? options_.header_timeout : options_.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      WriteTooLarge();
      return;
    }
    if (ec) {
      if (ec == http::error::header_limit) {
        WriteRaw(431, "Request header too large");
        return;
      }
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        WriteRaw(400, "Invalid HTTP message.");
        return;
      }
      Close();
      return;
    }
    first_request_ = false;
    start_ = RealClock::Get().Now();
    auto& req = parser_->get();
    auto length = parser_->content_length();
    if (length && *length > static_cast<std::uint64_t>(options_.max_request_size)) {
      WriteTooLarge();
      return;
    }
    Expire(options_.header_timeout);
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*cont),
                        [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // The body usually came in the header's read: parse what is buffered
    // before asking the event loop for more (one turn of the loop less).
    while (buffer_.size() > 0 && !parser_->is_done()) {
      beast::error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return OnRequest(ec);
      if (used == 0) break;
    }
    if (parser_->is_done()) {
      OnRequest({});
      return;
    }
    // Beast reads at most the buffer's free capacity (512 bytes at first):
    // a 3 KB image took 7 reads, a 150 KB body ~300. Make room for the rest
    // of the body (up to kBodyReadBytes per read) so it arrives in one.
    const auto length = parser_->content_length();
    const size_t rest = length ? static_cast<size_t>(std::min<std::uint64_t>(*length, kBodyReadBytes)) : kBodyReadBytes;
    if (buffer_.capacity() - buffer_.size() < rest) buffer_.reserve(buffer_.size() + rest);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRequest(ec); });
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      WriteTooLarge();
      return;
    }
    if (ec) {
      if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof) {
        Close();
      } else {
        WriteRaw(400, "Invalid HTTP message.");
      }
      return;
    }
    beast::get_lowest_layer(stream_).expires_never();
    auto msg = parser_->release();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.version = msg.version();
    keep_alive_ = msg.keep_alive();
    http_version_ = msg.version();
    std::string_view target = req.target;
    size_t q = target.find('?');
    req.path = UrlDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) req.query = ParseQueryString(target.substr(q + 1));
    for (const auto& field : msg) {
      req.headers.emplace_back(ToLower(std::string(field.name_string())), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    request_line_ = "\"" + req.method + " " + req.target + " HTTP/" + std::to_string(req.version / 10) + "." +
                    std::to_string(req.version % 10) + "\"";
    in_flight_->fetch_add(1);
    // The responder keeps the session alive until the answer is written.
    std::shared_ptr<Session> self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    handler_(std::move(req), [self, answered](HttpResponse response) {
      // Parts until the answer; the answer exactly once; nothing after it.
      if (response.more ? answered->load() : answered->exchange(true)) return;
      // dispatch: on an I/O thread (where answers are handed back) the write
      // starts at once instead of one more turn of the event loop.
      auto executor = self->stream_.get_executor();
      asio::dispatch(executor, [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    });
  }

  // Answers and streamed parts are written in the order they came, one
  // write at a time.
  void Write(HttpResponse r) {
    pending_.push_back(std::move(r));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (pending_.empty()) return;
    HttpResponse r = std::move(pending_.front());
    pending_.pop_front();
    if (r.more && http_version_ < 11) {
      held_parts_ += r.body;  // HTTP/1.0 has no chunked transfer: the parts lead the answer's body
      return WriteNext();
    }
    if (!held_parts_.empty()) {
      r.body.insert(0, held_parts_);
      held_parts_.clear();
    }
    const bool last = !r.more;
    // Head and body in one gathered write; the body is not copied.
    auto out = std::make_shared<std::array<std::string, 3>>();  // head, body, tail
    if (!streaming_) {
      stream_keep_alive_ = keep_alive_ && !r.close_connection;
      (*out)[0] = SerializeResponseHead(r, *decoration_, stream_keep_alive_);
      streaming_ = r.more;
    }
    const bool keep = stream_keep_alive_;
    const bool chunked = streaming_;
    if (last) {
      long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(RealClock::Get().Now() - start_).count();
      logging::Access(remote_ + " " + request_line_ + " " + std::to_string(r.status) + " " + std::to_string(ms));
      streaming_ = false;
    }
    const bool drain = last && r.status == 413;
    if (chunked && !r.body.empty()) {
      (*out)[0] += ChunkHeader(r.body.size());
      (*out)[2] = "\r\n";
    }
    if (chunked && last) (*out)[2] += "0\r\n\r\n";
    (*out)[1] = std::move(r.body);
    // Over TLS one buffer: Beast's ssl_stream stalls on a gathered write
    // whose second buffer is over 16 KB (seen with the 30 KB OpenAPI answer).
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      (*out)[0] += (*out)[1];
      (*out)[0] += (*out)[2];
      (*out)[1].clear();
      (*out)[2].clear();
    }
    if constexpr (std::is_same_v<Stream, PlainStream>) {
      // An answer almost always fits the socket's buffer: write it now (the
      // socket is non-blocking) and leave to the event loop only what did
      // not fit (an asynchronous write's completion costs one more turn of
      // the loop). Errors are left to the asynchronous write to report.
      beast::error_code ec;
      const std::array<asio::const_buffer, 3> all{asio::buffer((*out)[0]), asio::buffer((*out)[1]),
                                                  asio::buffer((*out)[2])};
      size_t written = Socket().write_some(all, ec);
      if (ec) written = 0;
      for (std::string& part : *out) {
        const size_t n = std::min(written, part.size());
        part.erase(0, n);
        written -= n;
      }
      if ((*out)[0].empty() && (*out)[1].empty() && (*out)[2].empty()) return OnWritten({}, keep, drain, last);
    }
    const std::array<asio::const_buffer, 3> buffers{asio::buffer((*out)[0]), asio::buffer((*out)[1]),
                                                    asio::buffer((*out)[2])};
    writing_ = true;
    asio::async_write(stream_, buffers,
                      [self = shared_from_this(), out, keep, drain, last](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->OnWritten(ec, keep, drain, last);
                      });
  }

  void OnWritten(beast::error_code ec, bool keep, bool drain, bool last) {
    if (!last) {
      if (ec) return Close();  // the answer still comes; its write fails and counts
      return WriteNext();
    }
    in_flight_->fetch_sub(1);  // written (or failed): shutdown may end the I/O threads now
    if (!ec && drain) return DrainAndClose();
    if (ec || !keep) return Close();
    ReadHeader();
  }

  // An oversized body: 413 with TorchServe's error JSON naming the limit and
  // the size sent (TorchServe itself answers an empty body), then close.
  void WriteTooLarge() {
    in_flight_->fetch_add(1);
    HttpResponse r;
    r.status = 413;
    r.close_connection = true;
    r.content_type = "application/json";
    boost::optional<std::uint64_t> length;
    if (parser_) length = parser_->content_length();
    const std::string sent = length ? "a body of " + std::to_string(*length) + " bytes"
                                    : "a chunked body of more than " + std::to_string(options_.max_request_size) +
                                          " bytes";
    r.body = "{\n  \"code\": 413,\n  \"type\": \"RequestEntityTooLargeException\",\n  \"message\": \"Request of " +
             sent + " exceeds max_request_size (" + std::to_string(options_.max_request_size) + " bytes)\"\n}\n";
    keep_alive_ = false;
    Write(std::move(r));
  }

  void WriteRaw(int status, const std::string& message) {
    in_flight_->fetch_add(1);
    HttpResponse r;
    r.status = status;
    r.close_connection = true;
    r.content_type = "application/json";
    r.body = "{\n  \"code\": " + std::to_string(status) + ",\n  \"type\": \"BadRequestException\",\n  \"message\": \"" +
             message + "\"\n}\n";
    keep_alive_ = false;
    Write(std::move(r));
  }

  // After refusing a body, read and discard what the client is still
  // sending (bounded), so it sees the 413 instead of a connection reset.
  void DrainAndClose() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, PlainStream>) Socket().shutdown(tcp::socket::shutdown_send, ec);
    Expire(std::chrono::seconds(5));
    drain_buffer_.resize(64 * 1024);
    DrainSome(0);
  }

  void DrainSome(size_t total) {
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this(), total](beast::error_code ec,
                                                                                             std::size_t n) {
      if (ec || total + n > (256u << 20)) return self->Close();
      self->DrainSome(total + n);
    });
  }

  void Close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (closing_) return;
      closing_ = true;
      Expire(std::chrono::seconds(2));
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).close();
      });
      return;
    }
    Socket().shutdown(tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  bool closing_ = false;
  static constexpr size_t kIdleBufferBytes = 16 * 1024;
  static constexpr size_t kBodyReadBytes = 256 * 1024;
  beast::flat_buffer buffer_;
  std::vector<char> drain_buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const ListenerOptions options_;
  RequestHandler handler_;
  std::shared_ptr<const ResponseDecoration> decoration_;
  std::shared_ptr<std::atomic<int>> in_flight_;
  std::string remote_ = "/unknown";
  std::string request_line_;
  SteadyTime start_;
  bool keep_alive_ = true;
  unsigned http_version_ = 11;
  bool first_request_ = true;
  std::deque<HttpResponse> pending_;  // answers and parts waiting for the write in progress
  bool writing_ = false;
  bool streaming_ = false;            // a chunked answer's head is out; its last part is not
  bool stream_keep_alive_ = true;     // what the answer's head said about the connection
  std::string held_parts_;            // parts for an HTTP/1.0 client, sent with the answer
};

}  // namespace

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  HttpListener(asio::io_context& io, ListenerOptions options, RequestHandler handler,
               std::shared_ptr<const ResponseDecoration> decoration, std::shared_ptr<std::atomic<int>> in_flight,
               std::shared_ptr<asio::ssl::context> tls)
      : tls_(std::move(tls)),
        io_(io),
        acceptor_(asio::make_strand(io)),
        options_(std::move(options)),
        handler_(std::move(handler)),
        decoration_(decoration),
        in_flight_(std::move(in_flight)) {}

  StatusOr<int> Open() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
    if (ec) {
      // A host name: resolve it.
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
      if (ec || results.empty()) return InvalidArgument("cannot resolve listen address " + options_.host);
      address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return Internal("cannot open socket for " + options_.name + ": " + ec.message());
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(endpoint, ec);
    if (ec) {
      return Unavailable(options_.name + ": cannot bind " + options_.host + ":" + std::to_string(options_.port) +
                         ": " + ec.message() + " (is another server running?)");
    }
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Internal(options_.name + ": cannot listen: " + ec.message());
    return static_cast<int>(acceptor_.local_endpoint().port());
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec,
                                                                               tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (!ec) {
        if (self->tls_) {
          std::make_shared<Session<TlsStream>>(std::move(socket), *self->tls_, self->options_, self->handler_,
                                               self->decoration_, self->in_flight_)
              ->Start();
        } else {
          std::make_shared<Session<PlainStream>>(std::move(socket), self->options_, self->handler_,
                                                 self->decoration_, self->in_flight_)
              ->Start();
        }
      } else {
        HLOG_WARN("{}: accept failed: {}", self->options_.name, ec.message());
      }
      self->Accept();
    });
  }

  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  ListenerOptions options_;
  RequestHandler handler_;
  std::shared_ptr<const ResponseDecoration> decoration_;
  std::shared_ptr<std::atomic<int>> in_flight_;
};

HttpServer::HttpServer(asio::io_context& io, ResponseDecoration decoration)
    : io_(io),
      decoration_(std::make_shared<const ResponseDecoration>(std::move(decoration))),
      in_flight_(std::make_shared<std::atomic<int>>(0)) {}

HttpServer::~HttpServer() = default;

StatusOr<int> HttpServer::Listen(const ListenerOptions& options, RequestHandler handler) {
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls) {
    tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::single_dh_use);
    beast::error_code ec;
    tls->use_certificate_chain_file(options.certificate_file, ec);
    if (ec) return InvalidArgument("certificate_file " + options.certificate_file + ": " + ec.message());
    tls->use_private_key_file(options.private_key_file, asio::ssl::context::pem, ec);
    if (ec) return InvalidArgument("private_key_file " + options.private_key_file + ": " + ec.message());
  }
  auto listener = std::make_shared<HttpListener>(io_, options, std::move(handler), decoration_, in_flight_, tls);
  ASSIGN_OR_RETURN(int port, listener->Open());
  listener->Accept();
  listeners_.push_back(listener);
  return port;
}

void HttpServer::StopAccepting() {
  for (auto& l : listeners_) l->Stop();
}

}  // namespace hearth::frontend
