#pragma once
// HTTP/1.1 listeners on Boost.Beast. Sockets on one side, HttpRequest /
// HttpResponse on the other: the handler never sees a socket.
//
// Per connection: requests are read one at a time (keep-alive, HTTP/1.0
// keep-alive too), `Expect: 100-continue` is answered, bodies over
// max_request_size get a 413 JSON error naming the limit and the connection is closed,
// a client that sends its header too slowly is dropped (header_timeout), and
// idle keep-alive connections are closed after idle_timeout. The handler is
// called on an I/O thread and must not block; it answers through the
// Responder from any thread.

#include <boost/asio.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "frontend/http/http_types.h"
#include "frontend/http/response_head.h"

namespace hearth::frontend {

using RequestHandler = std::function<void(HttpRequest&&, Responder)>;

struct ListenerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port (see HttpServer::port)
  int64_t max_request_size = 6553500;
  std::chrono::seconds header_timeout{60};
  std::chrono::seconds idle_timeout{120};
  std::string name;  // for logs: "Inference API"
  // TLS (https:// addresses): PEM certificate chain and private key.
  bool tls = false;
  std::string certificate_file;
  std::string private_key_file;
};

// Adds the headers TorchServe puts on every frontend response (x-request-id,
// no-cache headers, CORS) to `response`.

class HttpListener;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ResponseDecoration decoration);
  ~HttpServer();

  // Binds and starts accepting. Returns the bound port (useful with port 0).
  StatusOr<int> Listen(const ListenerOptions& options, RequestHandler handler);
  // Stops accepting new connections; open connections finish their request.
  void StopAccepting();
  // Requests being handled: received and not yet written back.
  int InFlight() const { return in_flight_->load(); }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<const ResponseDecoration> decoration_;
  std::vector<std::shared_ptr<HttpListener>> listeners_;
  std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace hearth::frontend
