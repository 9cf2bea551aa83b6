#pragma once
// hearth-quantize: post-training INT8 quantization of TorchScript models in
// C++, with libtorch's graph-mode passes (what torch.ao.quantization's
// quantize_jit does in Python):
//   static   fold conv+bn, insert observers, calibrate on real inputs,
//            insert quant/dequant, finalize (fuse to quantized:: kernels,
//            freeze). Per-channel symmetric int8 weights; per-tensor affine
//            or symmetric uint8 activations; min-max or histogram observers.
//            Named submodules can stay FP32 (--keep-fp32).
//   dynamic  int8 weights, activations quantized per call (transformers).
// The calibration result can be saved and loaded as JSON. The report gives
// the speed-up and the agreement with the FP32 model.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/quantize/observers.h"

namespace hearth::tools {

struct QuantizeOptions {
  std::string model_path;
  std::string output_path;
  std::string calibration_data;            // directory, file, or random:N
  std::vector<int64_t> input_shape = {1, 3, 224, 224};
  bool integer_inputs = false;             // --input-dtype int64 (token ids): random inputs are 0/1
  ActivationScheme scheme = ActivationScheme::kPerTensorAffine;
  ObserverKind observer = ObserverKind::kHistogram;
  bool dynamic = false;
  // Submodule paths left in FP32 ("fc", "layer4.2.conv3"): where INT8 costs
  // the most agreement for the least time, as a classifier's last layer,
  // whose 1000 nearly tied scores one rounding step can reorder.
  std::vector<std::string> keep_fp32;
  std::string save_calibration;            // JSON path
  std::string load_calibration;            // JSON path
  int64_t max_samples = 1000;
  int64_t compare_samples = 200;           // samples used for the agreement report
  std::string engine = "onednn";           // onednn or qnnpack
  int threads = 0;                         // 0 = all available CPUs
  std::function<void(size_t done, size_t total, const char* phase)> progress;
};

struct QuantizeReport {
  size_t calibration_samples = 0;
  size_t compared_samples = 0;
  double fp32_ms = 0;
  double int8_ms = 0;
  double top1_agreement = 0;   // fraction of compared samples with the same argmax
  double max_abs_error = 0;    // over the compared samples' outputs
  double output_scale = 0;     // max |fp32 output|, to read the error against
  int quantized_ops = 0;       // quantized:: nodes in the final graph
};

StatusOr<QuantizeReport> QuantizeModel(const QuantizeOptions& options);

}  // namespace hearth::tools
