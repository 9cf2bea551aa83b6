#include "tools/quantize/calibration_data.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/files.h"
#include "common/strings.h"
#include "imaging/image.h"
#include "imaging/transforms.h"

namespace hearth::tools {
namespace fs = std::filesystem;

StatusOr<torch::Tensor> ReadNpy(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) return InvalidArgument(path + ": not a .npy file");
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    offset = 10;
  } else {
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    offset = 12;
  }
  std::string header = data.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr':\s*'([<>|])(\w)(\d+)')"))) {
    return InvalidArgument(path + ": cannot read the dtype in the .npy header");
  }
  if (m[1] == ">") return InvalidArgument(path + ": big-endian .npy files are not supported");
  std::string kind = m[2], bytes = m[3];
  if (header.find("'fortran_order': True") != std::string::npos) {
    return InvalidArgument(path + ": Fortran-order arrays are not supported");
  }
  std::smatch sm;
  if (!std::regex_search(header, sm, std::regex(R"('shape':\s*\(([^)]*)\))"))) {
    return InvalidArgument(path + ": cannot read the shape in the .npy header");
  }
  std::vector<int64_t> shape;
  for (const auto& d : Split(sm[1].str(), ',')) {
    if (Trim(d).empty()) continue;
    auto v = ParseInt64(d);
    if (!v) return InvalidArgument(path + ": bad shape in the .npy header");
    shape.push_back(*v);
  }
  torch::ScalarType type;
  if (kind == "f" && bytes == "4") type = torch::kFloat;
  else if (kind == "f" && bytes == "8") type = torch::kDouble;
  else if (kind == "i" && bytes == "8") type = torch::kLong;
  else if (kind == "i" && bytes == "4") type = torch::kInt;
  else if (kind == "u" && bytes == "1") type = torch::kByte;
  else if (kind == "b" && bytes == "1") type = torch::kBool;
  else return InvalidArgument(path + ": unsupported .npy dtype " + kind + bytes);
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  const size_t payload = offset + header_len;
  const size_t need = static_cast<size_t>(count) * torch::elementSize(type);
  if (data.size() - payload < need) return InvalidArgument(path + ": truncated .npy data");
  return torch::from_blob(data.data() + payload, shape, type).clone();
}

StatusOr<CalibrationData> CalibrationData::Open(const std::string& source, const std::vector<int64_t>& input_shape,
                                                int64_t max_samples, size_t num_args, bool integer_inputs) {
  CalibrationData c;
  c.shape_ = input_shape;
  c.num_args_ = std::max<size_t>(1, num_args);
  c.integer_inputs_ = integer_inputs;
  if (StartsWith(source, "random:")) {
    auto n = ParseInt64(source.substr(7));
    if (!n || *n < 1) return InvalidArgument("--calibration-data random:N needs N >= 1");
    c.items_.assign(static_cast<size_t>(std::min(*n, max_samples)), "");
    return c;
  }
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(source, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(source, ec)) {
      if (e.is_regular_file()) files.push_back(e.path().string());
    }
  } else if (fs::is_regular_file(source, ec)) {
    files.push_back(source);
  } else {
    return NotFound("--calibration-data: no such file or directory: " + source);
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string lower = ToLower(f);
    bool image = EndsWith(lower, ".jpg") || EndsWith(lower, ".jpeg") || EndsWith(lower, ".png");
    bool tensor = EndsWith(lower, ".pt") || EndsWith(lower, ".npy");
    if (!image && !tensor) continue;
    if (image) c.images_ = true;
    c.items_.push_back(f);
    if (static_cast<int64_t>(c.items_.size()) >= max_samples) break;
  }
  if (c.items_.empty()) {
    return InvalidArgument("--calibration-data: " + source + " holds no .jpg/.png images or .pt/.npy tensors");
  }
  return c;
}

StatusOr<std::vector<torch::IValue>> CalibrationData::Get(size_t i) const {
  const std::string& path = items_.at(i);
  if (path.empty()) {
    std::vector<torch::IValue> args;
    for (size_t a = 0; a < num_args_; ++a) {
      args.push_back(integer_inputs_ ? torch::randint(0, 2, shape_, torch::kLong) : torch::randn(shape_));
    }
    return args;
  }
  std::string lower = ToLower(path);
  if (EndsWith(lower, ".npy")) {
    ASSIGN_OR_RETURN(torch::Tensor t, ReadNpy(path));
    return std::vector<torch::IValue>{t};
  }
  if (EndsWith(lower, ".pt")) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    try {
      torch::IValue v = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
      if (v.isTensor()) return std::vector<torch::IValue>{v};
      if (v.isTuple()) {
        std::vector<torch::IValue> args(v.toTupleRef().elements().begin(), v.toTupleRef().elements().end());
        return args;
      }
      if (v.isList()) {
        std::vector<torch::IValue> args(v.toListRef().begin(), v.toListRef().end());
        return args;
      }
      return InvalidArgument(path + ": expected a tensor or a tuple of tensors");
    } catch (const std::exception& e) {
      return InvalidArgument(path + ": cannot read with torch.load's format: " + std::string(e.what()).substr(0, 200));
    }
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  ASSIGN_OR_RETURN(imaging::RgbImage image, imaging::DecodeImage(bytes, {}));
  std::vector<float> chw = imaging::ImageNetPreprocess(image);
  return std::vector<torch::IValue>{torch::from_blob(chw.data(), {1, 3, 224, 224}, torch::kFloat).clone()};
}

}  // namespace hearth::tools
