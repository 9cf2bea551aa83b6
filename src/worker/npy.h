#pragma once
// NumPy .npy (format 1.0/2.0, little endian, C order) <-> tensors, and raw
// little-endian bytes with a dtype and shape: the tensor handler's binary
// forms, and hearth-quantize's calibration files.

#include <torch/script.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::worker {

bool LooksLikeNpy(const std::string& bytes);
StatusOr<torch::Tensor> ReadNpy(const std::string& bytes, const std::string& origin);
std::string WriteNpy(const torch::Tensor& tensor);
// NumPy's name for a dtype ("float32", "int64", ...).
std::string DtypeName(torch::ScalarType type);
// Raw bytes as a tensor of `dtype` and `shape` (empty shape: 1-D).
StatusOr<torch::Tensor> FromRawBytes(const std::string& bytes, torch::ScalarType dtype, std::vector<int64_t> shape);

}  // namespace hearth::worker
