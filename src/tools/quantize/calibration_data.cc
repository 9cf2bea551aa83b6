#include "tools/quantize/calibration_data.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "common/strings.h"
#include "imaging/image.h"
#include "imaging/transforms.h"
#include "worker/npy.h"

namespace hearth::tools {
namespace fs = std::filesystem;

StatusOr<torch::Tensor> ReadNpy(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return worker::ReadNpy(data, path);
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
