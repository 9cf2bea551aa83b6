#pragma once
// Observer modules for libtorch's graph-mode quantization passes, written in
// TorchScript and compiled in C++ (no Python): they record value ranges
// during calibration and turn them into (scale, zero_point).
//   MinMaxObserver            per-tensor, affine or symmetric (activations)
//   HistogramObserver         per-tensor, clips the 0.01% tails (activations)
//   PerChannelMinMaxObserver  per-channel symmetric qint8 (weights)
//   PlaceholderObserver       dynamic quantization (ranges computed per call)
// Each has forward(x) -> x, calculate_qparams() -> (scale, zero_point) and
// the dtype/qscheme attributes the passes read.

#include <torch/script.h>

#include <string>

namespace hearth::tools {

enum class ActivationScheme { kPerTensorAffine, kPerTensorSymmetric };
enum class ObserverKind { kMinMax, kHistogram };

torch::jit::Module MakeActivationObserver(ObserverKind kind, ActivationScheme scheme);
torch::jit::Module MakeWeightObserver();
torch::jit::Module MakeDynamicActivationObserver();

// True for the observer modules above (by type name).
bool IsHearthObserver(const torch::jit::Module& module);

}  // namespace hearth::tools
