#include "ipc/framing.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace hearth::ipc {

std::string EncodeFrame(const Envelope& envelope) {
  const size_t size = envelope.ByteSizeLong();
  std::string out(kFrameHeaderBytes + size, '\0');
  uint32_t n = static_cast<uint32_t>(size);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  envelope.SerializeToArray(out.data() + kFrameHeaderBytes, static_cast<int>(size));
  return out;
}

uint32_t DecodeFrameLength(const char* header) {
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(header[i])) << (8 * i);
  return n;
}

StatusOr<Envelope> DecodePayload(const char* data, size_t size) {
  Envelope e;
  if (!e.ParseFromArray(data, static_cast<int>(size))) return Internal("worker protocol: malformed message");
  return e;
}

namespace {
Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("worker protocol: write failed: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status WriteFrame(int fd, const Envelope& envelope) {
  std::string frame = EncodeFrame(envelope);
  return WriteAll(fd, frame.data(), frame.size());
}

std::pair<char*, size_t> FrameBuffer::Space() {
  if (begin_ == end_) begin_ = end_ = 0;
  size_t want = kReadBytes;
  if (buffered() >= kFrameHeaderBytes) {
    const size_t frame = kFrameHeaderBytes + DecodeFrameLength(data_.data() + begin_);
    if (frame <= kFrameHeaderBytes + kMaxFrameBytes && frame > buffered()) want = std::max(want, frame - buffered());
  }
  if (data_.size() - end_ < want) {
    // Move the partial frame to the front, then grow if that is not enough.
    if (begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, buffered());
      end_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - end_ < want) data_.resize(end_ + want);
  }
  return {data_.data() + end_, data_.size() - end_};
}

void FrameBuffer::Commit(size_t n) { end_ += n; }

std::optional<StatusOr<Envelope>> FrameBuffer::Next() {
  if (buffered() < kFrameHeaderBytes) return std::nullopt;
  const uint32_t length = DecodeFrameLength(data_.data() + begin_);
  if (length > kMaxFrameBytes) {
    return StatusOr<Envelope>(Internal("worker protocol: frame of " + std::to_string(length) + " bytes"));
  }
  if (buffered() < kFrameHeaderBytes + length) return std::nullopt;
  auto envelope = DecodePayload(data_.data() + begin_ + kFrameHeaderBytes, length);
  begin_ += kFrameHeaderBytes + length;
  // A large frame's buffer is not kept once it is consumed.
  if (begin_ == end_ && data_.size() > 4 * kReadBytes) {
    data_ = std::vector<char>();
    begin_ = end_ = 0;
  }
  return envelope;
}

StatusOr<Envelope> ReadFrame(int fd, FrameBuffer& buffer) {
  while (true) {
    if (auto frame = buffer.Next()) return std::move(*frame);
    auto [where, room] = buffer.Space();
    ssize_t n = ::read(fd, where, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("worker protocol: read failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      if (buffer.buffered() == 0) return Unavailable("worker protocol: connection closed");
      return Unavailable(buffer.buffered() < kFrameHeaderBytes ? "worker protocol: truncated frame header"
                                                               : "worker protocol: truncated frame");
    }
    buffer.Commit(static_cast<size_t>(n));
  }
}

}  // namespace hearth::ipc
