// A worker slot's channels: the framed socket (worker.proto) and the
// pipes carrying the process's stdout and stderr into model_log.log. All on
// the slot's strand (see worker.h).
#include "common/logging.h"
#include "core/worker.h"
#include "ipc/framing.h"

namespace hearth::core {
namespace asio = boost::asio;

namespace {

ipc::Envelope ShutdownMessage() {
  ipc::Envelope e;
  e.mutable_shutdown();
  return e;
}

}  // namespace

void Worker::ReadFrames(uint64_t gen) {
  auto [where, room] = incoming_.Space();
  socket_->async_read_some(
      asio::buffer(where, room), [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t n) {
        if (gen != self->generation_) return;
        if (ec) {
          self->OnProcessFailure(gen, ec == asio::error::eof ? "connection closed by the worker"
                                                            : "read error: " + ec.message());
          return;
        }
        self->incoming_.Commit(n);
        while (auto frame = self->incoming_.Next()) {
          if (!frame->ok()) {
            self->OnProcessFailure(gen, "protocol error: " + frame->status().message());
            return;
          }
          self->OnMessage(gen, std::move(**frame));
          if (gen != self->generation_ || !self->socket_) return;  // the message ended this process
        }
        self->ReadFrames(gen);
      });
}

void Worker::ReadLog(uint64_t gen, Pipe* pipe, std::shared_ptr<asio::streambuf> buffer, LogStream stream) {
  const bool is_stderr = stream == LogStream::kStderr;
  asio::async_read_until(
      *pipe, *buffer, '\n',
      [self = shared_from_this(), gen, pipe, buffer, is_stderr](const boost::system::error_code& ec, size_t n) {
        if (gen != self->generation_) return;
        std::string source = self->options_.name + (is_stderr ? "-stderr" : "-stdout");
        if (ec) {
          // EOF: flush a last partial line.
          if (buffer->size() > 0) {
            std::string rest(asio::buffers_begin(buffer->data()), asio::buffers_end(buffer->data()));
            logging::Model(is_stderr ? spdlog::level::warn : spdlog::level::info, source, rest);
          }
          return;
        }
        std::string line(asio::buffers_begin(buffer->data()), asio::buffers_begin(buffer->data()) + n - 1);
        buffer->consume(n);
        logging::Model(is_stderr ? spdlog::level::warn : spdlog::level::info, source, line);
        self->ReadLog(gen, pipe, buffer, is_stderr ? LogStream::kStderr : LogStream::kStdout);
      });
}

void Worker::Send(ipc::Envelope envelope) {
  write_queue_.push_back(ipc::EncodeFrame(envelope));
  if (frames_in_write_ == 0) WriteNext();
}

void Worker::SendShutdown() {
  if (socket_) Send(ShutdownMessage());
}

void Worker::WriteNext() {
  if (write_queue_.empty() || !socket_) return;
  const uint64_t gen = generation_;
  std::vector<asio::const_buffer> frames;
  frames.reserve(write_queue_.size());
  for (const auto& f : write_queue_) frames.push_back(asio::buffer(f));
  // Almost every batch fits the socket's buffer: write it now (the socket
  // is non-blocking) and leave to the event loop only what did not fit (an
  // asynchronous write's completion costs one more turn of the loop). Any
  // error is left to the asynchronous write to report.
  boost::system::error_code ec;
  size_t written = socket_->write_some(frames, ec);
  if (ec) written = 0;
  while (written > 0 && written >= write_queue_.front().size()) {
    written -= write_queue_.front().size();
    write_queue_.pop_front();
    if (write_queue_.empty()) return;
  }
  if (written > 0) write_queue_.front().erase(0, written);
  frames.clear();
  for (const auto& f : write_queue_) frames.push_back(asio::buffer(f));
  frames_in_write_ = write_queue_.size();
  asio::async_write(*socket_, frames, [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
    if (gen != self->generation_) return;
    // The channel may have been closed (and the queue cleared) after this write
    // completed but before its handler ran.
    if (!self->socket_ || self->write_queue_.size() < self->frames_in_write_) {
      self->frames_in_write_ = 0;
      return;
    }
    if (ec) {
      self->frames_in_write_ = 0;
      self->OnProcessFailure(gen, "write error: " + ec.message());
      return;
    }
    self->write_queue_.erase(self->write_queue_.begin(),
                             self->write_queue_.begin() + static_cast<std::ptrdiff_t>(self->frames_in_write_));
    self->frames_in_write_ = 0;
    self->WriteNext();
  });
}

}  // namespace hearth::core
