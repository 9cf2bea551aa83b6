#include "ipc/datatype.h"

namespace hearth::ipc {
namespace {

struct Entry {
  DataType type;
  const char* name;
  int size;
};

constexpr Entry kTypes[] = {
    {DataType::kBool, "BOOL", 1},   {DataType::kUint8, "UINT8", 1},   {DataType::kUint16, "UINT16", 2},
    {DataType::kUint32, "UINT32", 4}, {DataType::kUint64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2}, {DataType::kInt32, "INT32", 4},   {DataType::kInt64, "INT64", 8},
    {DataType::kFp16, "FP16", 2},   {DataType::kFp32, "FP32", 4},     {DataType::kFp64, "FP64", 8},
    {DataType::kBf16, "BF16", 2},   {DataType::kBytes, "BYTES", 0},
};

const Entry& Find(DataType type) { return kTypes[static_cast<size_t>(type)]; }

}  // namespace

std::optional<DataType> ParseDataType(std::string_view name) {
  for (const Entry& e : kTypes) {
    if (name == e.name) return e.type;
  }
  return std::nullopt;
}

const char* DataTypeName(DataType type) { return Find(type).name; }

int DataTypeSize(DataType type) { return Find(type).size; }

StatusOr<DataType> ParseInputDataType(std::string_view name, const std::string& input) {
  if (auto type = ParseDataType(name)) return *type;
  return InvalidArgument("input '" + input + "': unknown datatype \"" + std::string(name) +
                         "\" (BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, "
                         "BF16 or BYTES)");
}

}  // namespace hearth::ipc
