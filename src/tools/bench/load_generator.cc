#include "tools/bench/load_generator.h"

#include <sys/resource.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <random>

#include "common/strings.h"

namespace hearth::bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

int64_t LoadResult::errors() const {
  int64_t n = transport_errors;
  for (const auto& [status, count] : errors_by_status) n += count;
  return n;
}

Status ParseTargetUrl(const std::string& url, LoadSpec& spec) {
  std::string rest = url;
  if (StartsWith(rest, "http://")) rest = rest.substr(7);
  else if (StartsWith(rest, "https://")) return InvalidArgument("https targets are not supported: " + url);
  size_t slash = rest.find('/');
  std::string hostport = slash == std::string::npos ? rest : rest.substr(0, slash);
  spec.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    spec.host = hostport;
    spec.port = 80;
  } else {
    spec.host = hostport.substr(0, colon);
    auto port = ParseInt(hostport.substr(colon + 1));
    if (!port) return InvalidArgument("bad port in " + url);
    spec.port = *port;
  }
  if (spec.host == "localhost") spec.host = "127.0.0.1";
  return Status::Ok();
}

namespace {

double CpuSeconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

class Run;

class Connection {
 public:
  Connection(Run& run, asio::io_context& io) : run_(run), socket_(io) { buffer_.resize(64 * 1024); }
  void Connect();
  void Send(Clock::time_point start, bool measured);
  bool busy() const { return busy_; }
  Clock::time_point started() const { return start_; }
  void Abort() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  void Read();
  // Returns true when a whole response is in the buffer; fills status and
  // the number of bytes it used.
  bool ParseResponse(int& status, size_t& used, bool& close);
  void Fail();

  Run& run_;
  tcp::socket socket_;
  std::vector<char> buffer_;
  size_t have_ = 0;
  bool connected_ = false;
  bool busy_ = false;
  bool measured_ = false;
  Clock::time_point start_;
};

class Run {
 public:
  explicit Run(const LoadSpec& spec, const ProgressFn& progress)
      : spec_(spec), progress_(progress), tick_(io_), arrival_timer_(io_), rng_(12345) {}

  StatusOr<LoadResult> Execute() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(spec_.host, ec);
    if (ec) {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(spec_.host, std::to_string(spec_.port), ec);
      if (ec || results.empty()) return InvalidArgument("cannot resolve " + spec_.host);
      endpoint_ = *results.begin();
    } else {
      endpoint_ = tcp::endpoint(address, static_cast<unsigned short>(spec_.port));
    }
    request_ = spec_.method + " " + spec_.path + " HTTP/1.1\r\nHost: " + spec_.host + ":" +
               std::to_string(spec_.port) + "\r\n";
    if (!spec_.content_type.empty()) request_ += "Content-Type: " + spec_.content_type + "\r\n";
    for (const auto& [name, value] : spec_.headers) request_ += name + ": " + value + "\r\n";
    if (!spec_.body.empty() || spec_.method == "POST" || spec_.method == "PUT") {
      request_ += "Content-Length: " + std::to_string(spec_.body.size()) + "\r\n";
    }
    request_ += "\r\n" + spec_.body;
    target_ = spec_.requests > 0 ? spec_.warmup_requests + spec_.requests : -1;
    begin_ = last_progress_ = Clock::now();
    for (int i = 0; i < std::max(1, spec_.concurrency); ++i) {
      connections_.push_back(std::make_unique<Connection>(*this, io_));
    }
    for (auto& c : connections_) c->Connect();
    if (spec_.rate_per_s > 0) ScheduleArrival(Clock::now());
    Tick();
    io_.run();
    if (!ever_connected_) {
      return Unavailable("cannot connect to " + spec_.host + ":" + std::to_string(spec_.port) + ": " + connect_error_);
    }
    if (!measure_started_) return Unavailable("no request completed: is the server up at " + spec_.host + ":" +
                                              std::to_string(spec_.port) + "?");
    if (gave_up_) {
      return Unavailable("lost the server at " + spec_.host + ":" + std::to_string(spec_.port) +
                         " (no connection for 30 s): " + connect_error_);
    }
    result_.elapsed_s = std::chrono::duration<double>(last_answer_ - measure_begin_).count();
    return result_;
  }

  const std::string& request() const { return request_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  int timeout_s() const { return spec_.timeout_s; }

  // A connection could not connect. Retried (the server may be restarting)
  // until nothing has connected or answered for 5 s before the first
  // connection, 30 s after it; then the run ends with an error.
  bool GiveUpConnecting(const boost::system::error_code& ec) {
    connect_error_ = ec.message();
    const auto quiet = Clock::now() - last_progress_;
    if (quiet < (ever_connected_ ? std::chrono::seconds(30) : std::chrono::seconds(5))) return false;
    gave_up_ = true;
    Finish();
    return true;
  }

  // A connection is ready for its next request.
  void OnIdle(Connection* c) {
    last_progress_ = Clock::now();
    if (spec_.rate_per_s > 0) {
      if (!arrivals_.empty()) {
        auto [t, measured] = arrivals_.front();
        arrivals_.pop_front();
        c->Send(t, measured);
      } else {
        idle_.push_back(c);
        MaybeFinish();
      }
      return;
    }
    bool measured;
    if (!NextRequest(measured)) {
      MaybeFinish();
      return;
    }
    c->Send(Clock::now(), measured);
  }

  void OnAnswer(bool measured, Clock::time_point start, int status) {
    const auto now = Clock::now();
    ++answered_;
    if (status < 200 || status >= 300) ++errors_seen_;
    if (!measured) return;
    last_answer_ = now;
    result_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - start).count());
    if (status >= 200 && status < 300) ++result_.ok;
    else if (status > 0) ++result_.errors_by_status[status];
    else ++result_.transport_errors;
  }

 private:
  // Closed loop: may another request start, and is it measured?
  bool NextRequest(bool& measured) {
    if (stopping_) return false;
    if (target_ >= 0 && issued_ >= target_) return false;
    if (target_ < 0 && measure_started_ &&
        std::chrono::duration<double>(Clock::now() - measure_begin_).count() >= spec_.duration_s) {
      stopping_ = true;
      return false;
    }
    measured = issued_ >= spec_.warmup_requests;
    ++issued_;
    if (measured && !measure_started_) StartMeasuring();
    return true;
  }

  void StartMeasuring() {
    measure_started_ = true;
    measure_begin_ = Clock::now();
    last_answer_ = measure_begin_;
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    cpu_user_start_ = CpuSeconds(ru.ru_utime);
    cpu_sys_start_ = CpuSeconds(ru.ru_stime);
  }

  void ScheduleArrival(Clock::time_point when) {
    arrival_timer_.expires_at(when);
    arrival_timer_.async_wait([this, when](const boost::system::error_code& ec) {
      if (ec) return;
      bool measured;
      if (!NextRequest(measured)) {
        MaybeFinish();
        return;
      }
      if (!idle_.empty()) {
        Connection* c = idle_.back();
        idle_.pop_back();
        c->Send(when, measured);
      } else {
        arrivals_.emplace_back(when, measured);
      }
      std::exponential_distribution<double> gap(spec_.rate_per_s);
      ScheduleArrival(when + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng_))));
    });
  }

  void MaybeFinish() {
    bool any_busy = false;
    for (auto& c : connections_) any_busy = any_busy || c->busy();
    bool more = !stopping_ && (target_ < 0 || issued_ < target_);
    if (!any_busy && !more && arrivals_.empty()) Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    result_.cpu_user_s = CpuSeconds(ru.ru_utime) - cpu_user_start_;
    result_.cpu_sys_s = CpuSeconds(ru.ru_stime) - cpu_sys_start_;
    tick_.cancel();
    arrival_timer_.cancel();
    for (auto& c : connections_) c->Abort();
  }

  void Tick() {
    tick_.expires_after(std::chrono::milliseconds(500));
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      const auto now = Clock::now();
      if (progress_) progress_(answered_, errors_seen_, std::chrono::duration<double>(now - begin_).count());
      for (auto& c : connections_) {
        if (c->busy() && now - c->started() > std::chrono::seconds(spec_.timeout_s)) c->Abort();
      }
      if (target_ < 0 && measure_started_ &&
          std::chrono::duration<double>(now - measure_begin_).count() >= spec_.duration_s) {
        stopping_ = true;
        MaybeFinish();
      }
      Tick();
    });
  }

  const LoadSpec& spec_;
  const ProgressFn& progress_;
  asio::io_context io_;
  asio::steady_timer tick_;
  asio::steady_timer arrival_timer_;
  std::mt19937_64 rng_;
  tcp::endpoint endpoint_;
  std::string request_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<std::pair<Clock::time_point, bool>> arrivals_;
  int64_t target_ = 0;
  int64_t issued_ = 0;
  int64_t answered_ = 0;
  int64_t errors_seen_ = 0;
  bool measure_started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool ever_connected_ = false;
  bool gave_up_ = false;
  std::string connect_error_;
  Clock::time_point begin_, measure_begin_, last_answer_, last_progress_;
  double cpu_user_start_ = 0, cpu_sys_start_ = 0;
  LoadResult result_;

  friend class Connection;
};

void Connection::Connect() {
  boost::system::error_code ec;
  socket_.close(ec);
  socket_ = tcp::socket(socket_.get_executor());
  have_ = 0;
  socket_.async_connect(run_.endpoint(), [this](const boost::system::error_code& ec) {
    if (run_.finished_) return;
    if (ec) {
      // Count it and retry after a pause (the server may be restarting).
      ++run_.result_.transport_errors;
      if (run_.GiveUpConnecting(ec)) return;
      auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), std::chrono::milliseconds(100));
      timer->async_wait([this, timer](const boost::system::error_code&) {
        if (!run_.finished_) Connect();
      });
      return;
    }
    socket_.set_option(tcp::no_delay(true));
    connected_ = true;
    run_.ever_connected_ = true;
    run_.OnIdle(this);
  });
}

void Connection::Send(Clock::time_point start, bool measured) {
  busy_ = true;
  start_ = start;
  measured_ = measured;
  asio::async_write(socket_, asio::buffer(run_.request()), [this](const boost::system::error_code& ec, size_t) {
    if (ec) return Fail();
    Read();
  });
}

void Connection::Read() {
  int status;
  size_t used;
  bool close;
  if (ParseResponse(status, used, close)) {
    std::memmove(buffer_.data(), buffer_.data() + used, have_ - used);
    have_ -= used;
    busy_ = false;
    run_.OnAnswer(measured_, start_, status);
    if (close) {
      connected_ = false;
      Connect();
    } else {
      run_.OnIdle(this);
    }
    return;
  }
  if (have_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  socket_.async_read_some(asio::buffer(buffer_.data() + have_, buffer_.size() - have_),
                          [this](const boost::system::error_code& ec, size_t n) {
                            if (ec) return Fail();
                            have_ += n;
                            Read();
                          });
}

void Connection::Fail() {
  if (run_.finished_) return;
  if (busy_) {
    busy_ = false;
    run_.OnAnswer(measured_, start_, 0);
  }
  connected_ = false;
  Connect();
}

bool Connection::ParseResponse(int& status, size_t& used, bool& close) {
  std::string_view data(buffer_.data(), have_);
  size_t header_end = data.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return false;
  std::string_view head = data.substr(0, header_end);
  status = 0;
  if (head.size() > 12) status = std::atoi(std::string(head.substr(9, 3)).c_str());
  int64_t length = -1;
  bool chunked = false;
  close = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "content-length")) length = std::atoll(std::string(value).c_str());
      else if (EqualsIgnoreCase(name, "transfer-encoding") && EqualsIgnoreCase(value, "chunked")) chunked = true;
      else if (EqualsIgnoreCase(name, "connection") && EqualsIgnoreCase(value, "close")) close = true;
    }
    pos = next;
  }
  size_t body = header_end + 4;
  if (chunked) {
    size_t p = body;
    while (true) {
      size_t eol = data.find("\r\n", p);
      if (eol == std::string_view::npos) return false;
      size_t size = std::strtoul(std::string(data.substr(p, eol - p)).c_str(), nullptr, 16);
      p = eol + 2 + size + 2;
      if (p > data.size()) return false;
      if (size == 0) {
        used = p;
        return true;
      }
    }
  }
  if (length < 0) length = 0;
  if (data.size() < body + static_cast<size_t>(length)) return false;
  used = body + static_cast<size_t>(length);
  return true;
}

}  // namespace

StatusOr<LoadResult> RunLoad(const LoadSpec& spec, const ProgressFn& progress) {
  if (spec.concurrency < 1) return InvalidArgument("concurrency must be >= 1");
  if (spec.requests <= 0 && spec.duration_s <= 0) return InvalidArgument("give a request count or a duration");
  Run run(spec, progress);
  return run.Execute();
}

}  // namespace hearth::bench
