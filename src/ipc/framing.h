#pragma once
// Framing for the worker protocol (proto/worker.proto): each message is a
// 4-byte little-endian payload length followed by a serialized Envelope.
// Frames larger than kMaxFrameBytes are a protocol error.

#include <cstdint>
#include <string>

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

// Blocking I/O on a file descriptor (the worker side). Both retry on EINTR.
// ReadFrame returns kUnavailable on a clean EOF before a header.
Status WriteFrame(int fd, const Envelope& envelope);
StatusOr<Envelope> ReadFrame(int fd);

}  // namespace hearth::ipc
