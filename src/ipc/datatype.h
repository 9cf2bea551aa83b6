#pragma once
// Tensor element types as the Open Inference Protocol (KServe v2) names
// them. Names are parsed once where they enter (JSON, gRPC, the worker's
// answers) and written where they leave; inside, a tensor's type is this
// enum. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth::ipc {

enum class DataType : uint8_t {
  kBool, kUint8, kUint16, kUint32, kUint64, kInt8, kInt16, kInt32, kInt64, kFp16, kFp32, kFp64, kBf16, kBytes,
};

// "FP32" -> kFp32; nullopt for a name KServe does not define.
std::optional<DataType> ParseDataType(std::string_view name);
// kFp32 -> "FP32".
const char* DataTypeName(DataType type);
// Bytes per element; 0 for BYTES (elements of their own length).
int DataTypeSize(DataType type);
// ParseDataType, or InvalidArgument naming the input and listing the names.
StatusOr<DataType> ParseInputDataType(std::string_view name, const std::string& input);

}  // namespace hearth::ipc
