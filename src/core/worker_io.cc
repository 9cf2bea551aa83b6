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

void Worker::ReadHeader(uint64_t gen) {
  read_buffer_.resize(ipc::kFrameHeaderBytes);
  asio::async_read(*socket_, asio::buffer(read_buffer_),
                   [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                     if (gen != self->generation_) return;
                     if (ec) {
                       self->OnProcessFailure(gen, ec == asio::error::eof ? "connection closed by the worker"
                                                                         : "read error: " + ec.message());
                       return;
                     }
                     uint32_t length = ipc::DecodeFrameLength(self->read_buffer_.data());
                     if (length > ipc::kMaxFrameBytes) {
                       self->OnProcessFailure(gen, "protocol error: frame too large");
                       return;
                     }
                     self->ReadPayload(gen, length);
                   });
}

void Worker::ReadPayload(uint64_t gen, uint32_t length) {
  read_buffer_.resize(length);
  asio::async_read(*socket_, asio::buffer(read_buffer_),
                   [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                     if (gen != self->generation_) return;
                     if (ec) {
                       self->OnProcessFailure(gen, "read error: " + ec.message());
                       return;
                     }
                     auto envelope = ipc::DecodePayload(self->read_buffer_.data(), self->read_buffer_.size());
                     if (!envelope.ok()) {
                       self->OnProcessFailure(gen, envelope.status().message());
                       return;
                     }
                     self->OnMessage(gen, std::move(*envelope));
                     if (gen == self->generation_ && self->socket_) self->ReadHeader(gen);
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
  if (write_queue_.size() == 1) WriteNext();
}

void Worker::SendShutdown() {
  if (socket_) Send(ShutdownMessage());
}

void Worker::WriteNext() {
  if (write_queue_.empty() || !socket_) return;
  const uint64_t gen = generation_;
  asio::async_write(*socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this(), gen](const boost::system::error_code& ec, size_t) {
                      if (gen != self->generation_) return;
                      // The channel may have been closed (and the queue cleared) after this write
                      // completed but before its handler ran.
                      if (!self->socket_ || self->write_queue_.empty()) return;
                      if (ec) {
                        self->OnProcessFailure(gen, "write error: " + ec.message());
                        return;
                      }
                      self->write_queue_.pop_front();
                      self->WriteNext();
                    });
}

}  // namespace hearth::core
