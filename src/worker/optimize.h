#pragma once
// CPU graph optimizations applied at load time when ipex_enable=true: what
// IPEX's ipex.optimize() does for TorchServe, done with stock libtorch's
// oneDNN passes. Steps, each logged with its effect and each undone (with a
// warning naming it) if it throws or changes the outputs beyond tolerance:
//   1. freeze             inline weights, fold constants (torch.jit.freeze)
//   2. optimize           conv+bn folding, oneDNN layouts and fusions
//                         (torch.jit.optimize_for_inference)
//   3. channels_last      4-D image inputs in channels-last memory format
// Quantized (INT8) models are recognised and left unchanged. bf16 (opt-in,
// AVX512-BF16 / AMX) runs the steps again on the model in bfloat16 and is
// kept only when that is faster than the optimized fp32 model.

#include <torch/script.h>

#include <optional>
#include <string>
#include <vector>

namespace hearth::worker {

struct OptimizeOptions {
  // Run in bfloat16 (weights and floating inputs) when the CPU has
  // AVX512-BF16 or AMX. Opt-in (model-config.yaml `ipex_dtype: bfloat16`):
  // answers change in the 3rd digit, as with ipex.optimize(dtype=bfloat16).
  bool bf16 = false;
};

struct OptimizeResult {
  torch::jit::Module module;
  bool channels_last = false;        // feed 4-D inputs as channels-last
  bool bf16 = false;                 // feed floating inputs as bfloat16
  double ms_per_call = 0;            // on the example input, after the steps kept (0: not timed)
  std::vector<std::string> log;      // one line per step
  std::vector<std::string> warnings; // steps that were undone
};

// `example` (may be empty) is a typical forward input; with it each step is
// timed and its outputs are checked against the plain module's.
OptimizeResult OptimizeForCpu(const torch::jit::Module& module, const std::vector<torch::IValue>& example,
                              const OptimizeOptions& options = {});

// Casts floating tensors in `inputs` to bfloat16 (for a bf16 module).
void CastInputsToBf16(std::vector<torch::IValue>& inputs);

// True when the module's graph already runs quantized (INT8) kernels.
bool IsQuantized(torch::jit::Module& module);
// What the CPU supports for bf16 ("avx512_bf16", "amx_bf16" or "").
std::string Bf16Support();

}  // namespace hearth::worker
