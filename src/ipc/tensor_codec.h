#pragma once
// Named tensors between the KServe v2 frontend and hearth-worker: a compact
// binary encoding (content type "application/x-hearth-tensors") so that v2
// inputs and outputs cross the worker protocol as raw little-endian bytes,
// never as JSON text. Pure; no torch.
//
// Layout: u32 count, then per tensor: u32 name length, name, u32 datatype
// length, datatype (KServe name: FP32, INT64, BOOL, BYTES, ...), u32 rank,
// rank x i64 dims, u64 byte count, bytes. BYTES elements are each a u32
// length followed by the bytes (the v2 binary extension's own layout).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ipc/datatype.h"

namespace hearth::ipc {

inline constexpr char kTensorsContentType[] = "application/x-hearth-tensors";

struct WireTensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::string data;
};

std::string EncodeTensors(const std::vector<WireTensor>& tensors);
StatusOr<std::vector<WireTensor>> DecodeTensors(std::string_view bytes);

int64_t ElementCount(const std::vector<int64_t>& shape);

}  // namespace hearth::ipc
