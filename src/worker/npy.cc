#include "worker/npy.h"

#include <regex>

#include "common/strings.h"

namespace hearth::worker {
namespace {

struct DtypeCode {
  const char* code;  // '<f4' etc.
  torch::ScalarType type;
  const char* name;
};
const DtypeCode kCodes[] = {{"<f4", torch::kFloat, "float32"}, {"<f8", torch::kDouble, "float64"},
                            {"<f2", torch::kHalf, "float16"},  {"<i8", torch::kLong, "int64"},
                            {"<i4", torch::kInt, "int32"},     {"<i2", torch::kShort, "int16"},
                            {"|i1", torch::kChar, "int8"},     {"|u1", torch::kByte, "uint8"},
                            {"|b1", torch::kBool, "bool"}};

}  // namespace

bool LooksLikeNpy(const std::string& bytes) { return bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0; }

std::string DtypeName(torch::ScalarType type) {
  for (const auto& c : kCodes) {
    if (c.type == type) return c.name;
  }
  return "unknown";
}

StatusOr<torch::Tensor> ReadNpy(const std::string& data, const std::string& origin) {
  if (!LooksLikeNpy(data)) return InvalidArgument(origin + ": not a .npy file");
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len = 0, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    offset = 10;
  } else {
    if (data.size() < 12) return InvalidArgument(origin + ": truncated .npy header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    offset = 12;
  }
  if (offset + header_len > data.size()) return InvalidArgument(origin + ": truncated .npy header");
  std::string header = data.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr':\s*'([<>|=])(\w\d+)')"))) {
    return InvalidArgument(origin + ": cannot read the dtype in the .npy header");
  }
  std::string order = m[1], code = m[2];
  if (order == ">") return InvalidArgument(origin + ": big-endian .npy data is not supported");
  const DtypeCode* found = nullptr;
  for (const auto& c : kCodes) {
    if (code == std::string(c.code).substr(1)) found = &c;
  }
  if (!found) return InvalidArgument(origin + ": unsupported .npy dtype " + code);
  if (header.find("'fortran_order': True") != std::string::npos) {
    return InvalidArgument(origin + ": Fortran-order arrays are not supported");
  }
  std::smatch sm;
  if (!std::regex_search(header, sm, std::regex(R"('shape':\s*\(([^)]*)\))"))) {
    return InvalidArgument(origin + ": cannot read the shape in the .npy header");
  }
  std::vector<int64_t> shape;
  for (const auto& d : Split(sm[1].str(), ',')) {
    if (Trim(d).empty()) continue;
    auto v = ParseInt64(d);
    if (!v || *v < 0) return InvalidArgument(origin + ": bad shape in the .npy header");
    shape.push_back(*v);
  }
  return FromRawBytes(data.substr(offset + header_len), found->type, shape);
}

StatusOr<torch::Tensor> FromRawBytes(const std::string& bytes, torch::ScalarType dtype, std::vector<int64_t> shape) {
  const size_t elem = torch::elementSize(dtype);
  if (shape.empty()) {
    if (bytes.size() % elem != 0) {
      return InvalidArgument(std::to_string(bytes.size()) + " bytes are not a whole number of " + DtypeName(dtype) +
                             " values");
    }
    shape.push_back(static_cast<int64_t>(bytes.size() / elem));
  }
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (static_cast<size_t>(count) * elem != bytes.size()) {
    return InvalidArgument("tensor of shape " + std::string(c10::str(c10::IntArrayRef(shape))) + " and dtype " +
                           DtypeName(dtype) + " needs " + std::to_string(count * static_cast<int64_t>(elem)) +
                           " bytes, got " + std::to_string(bytes.size()));
  }
  return torch::from_blob(const_cast<char*>(bytes.data()), shape, dtype).clone();
}

std::string WriteNpy(const torch::Tensor& input) {
  torch::Tensor t = input.detach().cpu().contiguous();
  if (t.is_quantized()) t = t.dequantize();
  if (t.scalar_type() == torch::kBFloat16) t = t.to(torch::kFloat);
  std::string code = "<f4";
  for (const auto& c : kCodes) {
    if (c.type == t.scalar_type()) code = c.code;
  }
  // Python tuple syntax: (), (3,), (2, 3)
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape += (i ? ", " : "") + std::to_string(t.size(i));
  if (t.dim() == 1) shape += ",";
  shape += ")";
  std::string header = "{'descr': '" + code + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary, ending with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

}  // namespace hearth::worker
