#include "ipc/framing.h"

#include <errno.h>
#include <unistd.h>

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

// Returns bytes read (< size only at EOF).
StatusOr<size_t> ReadAll(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("worker protocol: read failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}
}  // namespace

Status WriteFrame(int fd, const Envelope& envelope) {
  std::string frame = EncodeFrame(envelope);
  return WriteAll(fd, frame.data(), frame.size());
}

StatusOr<Envelope> ReadFrame(int fd) {
  char header[kFrameHeaderBytes];
  ASSIGN_OR_RETURN(size_t got, ReadAll(fd, header, sizeof(header)));
  if (got == 0) return Unavailable("worker protocol: connection closed");
  if (got < sizeof(header)) return Unavailable("worker protocol: truncated frame header");
  uint32_t length = DecodeFrameLength(header);
  if (length > kMaxFrameBytes) return Internal("worker protocol: frame of " + std::to_string(length) + " bytes");
  std::vector<char> payload(length);
  ASSIGN_OR_RETURN(size_t body, ReadAll(fd, payload.data(), length));
  if (body < length) return Unavailable("worker protocol: truncated frame");
  return DecodePayload(payload.data(), length);
}

}  // namespace hearth::ipc
