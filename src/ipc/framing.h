#pragma once
// Framing for the worker protocol (proto/worker.proto): each message is a
// 4-byte little-endian payload length followed by a serialized Envelope.
// Frames larger than kMaxFrameBytes are a protocol error.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "worker.pb.h"

namespace hearth::ipc {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr uint32_t kFrameHeaderBytes = 4;
inline constexpr uint32_t kMaxFrameBytes = 1u << 30;

// Header + payload, ready to write.
std::string EncodeFrame(const Envelope& envelope);
// Reads the payload length from a 4-byte header.
uint32_t DecodeFrameLength(const char* header);
// Parses a payload; error when it is not a valid Envelope.
StatusOr<Envelope> DecodePayload(const char* data, size_t size);

// Reassembles frames from a byte stream read in pieces of any size, so a
// reader asks the kernel for everything available at once (several frames,
// or a header and its payload, in one read) instead of one read for the
// header and one for the payload. Pure: the caller does the reading.
//   auto [where, room] = buffer.Space();   // read up to `room` bytes there
//   buffer.Commit(n);                      // n bytes arrived
//   while (auto frame = buffer.Next()) ... // until nullopt: needs more bytes
class FrameBuffer {
 public:
  // Where to put the next bytes and how many fit: at least kReadBytes, and
  // the whole rest of a frame whose header says it is larger.
  std::pair<char*, size_t> Space();
  void Commit(size_t n);
  // The next complete frame, nullopt when more bytes are needed, or an error
  // for a frame over kMaxFrameBytes or a payload that is not an Envelope
  // (the stream cannot be trusted after either).
  std::optional<StatusOr<Envelope>> Next();
  // Bytes committed and not yet returned as frames.
  size_t buffered() const { return end_ - begin_; }

  static constexpr size_t kReadBytes = 64 * 1024;

 private:
  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// Blocking I/O on a file descriptor (the worker side). Both retry on EINTR.
// ReadFrame returns kUnavailable on a clean EOF before a header; it reads
// through `buffer`, which keeps what arrived beyond the frame for the next call.
Status WriteFrame(int fd, const Envelope& envelope);
StatusOr<Envelope> ReadFrame(int fd, FrameBuffer& buffer);

}  // namespace hearth::ipc
