#pragma once
// Calibration inputs for hearth-quantize: a directory of images (JPEG/PNG,
// preprocessed exactly as the image_classifier handler does), tensors saved
// with torch.save (.pt) or NumPy (.npy), or "random:N" samples of the input
// shape. Loaded lazily, one sample at a time.

#include <torch/script.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::tools {

class CalibrationData {
 public:
  // `source`: a directory, a single file, or "random:N". `input_shape` is
  // the model's input with the batch dimension (e.g. 1,3,224,224).
  // Random samples have `num_args` tensors, 0/1 integers when `integer_inputs`.
  static StatusOr<CalibrationData> Open(const std::string& source, const std::vector<int64_t>& input_shape,
                                        int64_t max_samples, size_t num_args = 1, bool integer_inputs = false);
  size_t size() const { return items_.size(); }
  // Sample i as forward() arguments.
  StatusOr<std::vector<torch::IValue>> Get(size_t i) const;

 private:
  std::vector<std::string> items_;  // file paths, or "" for random samples
  std::vector<int64_t> shape_;
  size_t num_args_ = 1;
  bool integer_inputs_ = false;
  bool images_ = false;
};

// Reads a .npy file (float32/float64/int64/int32/uint8/bool, C order).
StatusOr<torch::Tensor> ReadNpy(const std::string& path);

}  // namespace hearth::tools
