#include "worker/optimize.h"

#include <cpuid.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "worker/handlers/handler_util.h"

namespace hearth::worker {
namespace {

// How a candidate module's example inputs are prepared.
struct InputLayout {
  bool bf16 = false;           // cast floating inputs to bfloat16 (a bf16 candidate)
  bool channels_last = false;  // 4-d inputs in channels-last memory format
};

std::vector<torch::IValue> PrepareInputs(const std::vector<torch::IValue>& example, const InputLayout& layout) {
  std::vector<torch::IValue> in = example;
  if (layout.bf16) CastInputsToBf16(in);
  if (layout.channels_last) {
    for (auto& v : in) {
      if (v.isTensor() && v.toTensor().dim() == 4) v = v.toTensor().contiguous(torch::MemoryFormat::ChannelsLast);
    }
  }
  return in;
}

double MillisPerCall(torch::jit::Module& m, const std::vector<torch::IValue>& example, const InputLayout& layout) {
  std::vector<torch::IValue> in = PrepareInputs(example, layout);
  torch::InferenceMode guard;
  for (int i = 0; i < 2; ++i) m.forward(in);  // warm-up (profiling executor)
  const int runs = 3;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) m.forward(in);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / runs;
}

torch::Tensor FirstTensor(const torch::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  if (v.isTuple() && !v.toTupleRef().elements().empty()) return FirstTensor(v.toTupleRef().elements()[0]);
  if (v.isList() && !v.toListRef().empty()) return FirstTensor(v.toListRef()[0]);
  if (v.isGenericDict() && v.toGenericDict().size() > 0) return FirstTensor(v.toGenericDict().begin()->value());
  return {};
}

// Largest difference relative to the output's scale.
double Divergence(const torch::IValue& a, const torch::IValue& b) {
  torch::Tensor x = FirstTensor(a), y = FirstTensor(b);
  if (!x.defined() || !y.defined()) return 0;
  x = x.to(torch::kFloat).contiguous();
  y = y.to(torch::kFloat).contiguous();
  if (x.sizes() != y.sizes()) return INFINITY;
  double scale = std::max(1.0, x.abs().max().item<double>());
  return (x - y).abs().max().item<double>() / scale;
}

torch::IValue Run(torch::jit::Module& m, const std::vector<torch::IValue>& example, const InputLayout& layout) {
  std::vector<torch::IValue> in = PrepareInputs(example, layout);
  torch::InferenceMode guard;
  return m.forward(in);
}

std::string Fmt(double ms) {
  std::ostringstream s;
  s.precision(3);
  s << ms;
  return s.str();
}

}  // namespace

void CastInputsToBf16(std::vector<torch::IValue>& inputs) {
  for (auto& v : inputs) {
    if (v.isTensor() && v.toTensor().is_floating_point()) v = v.toTensor().to(torch::kBFloat16);
  }
}

bool IsQuantized(torch::jit::Module& module) {
  try {
    for (const auto& method : module.get_methods()) {
      auto graph = method.graph();
      for (const auto* node : graph->nodes()) {
        std::string kind = node->kind().toQualString();
        if (kind.rfind("quantized::", 0) == 0 || kind == "aten::quantize_per_tensor" ||
            kind == "aten::quantize_per_channel") {
          return true;
        }
      }
    }
    for (const auto& p : module.named_parameters(true)) {
      if (p.value.is_quantized()) return true;
    }
  } catch (const std::exception&) {
  }
  return false;
}

std::string Bf16Support() {
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    if (edx & (1u << 22)) return "amx_bf16";
  }
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
    if (eax & (1u << 5)) return "avx512_bf16";
  }
  return "";
}

namespace {

// The steps in order, in fp32 or (`bf16`) with the module in bfloat16 first.
OptimizeResult Pipeline(const torch::jit::Module& input, const std::vector<torch::IValue>& example, bool bf16) {
  OptimizeResult r;
  InputLayout layout;  // of the model as it stands after the steps kept so far
  r.module = input.clone();
  r.module.eval();
  if (IsQuantized(r.module)) {
    r.log.push_back("model is already quantized (INT8): graph optimizations skipped, it runs as saved");
    return r;
  }
  double tolerance = 1e-3;
  const bool timed = !example.empty();
  torch::IValue reference;
  double base_ms = 0;
  if (timed) {
    try {
      reference = Run(r.module, example, layout);
      base_ms = MillisPerCall(r.module, example, layout);
      r.log.push_back("plain module: " + Fmt(base_ms) + " ms per call");
    } catch (const std::exception& e) {
      r.warnings.push_back("the example input does not run on the plain model (" + ShortTorchError(e) +
                           "); optimizing without checks");
    }
  }
  double current_ms = base_ms;
  // Applies one step; keeps it only if it runs and agrees with the plain module.
  // `candidate_layout` is how the candidate takes its inputs.
  auto step = [&](const std::string& name, auto&& transform, const InputLayout& candidate_layout) {
    torch::jit::Module candidate;
    try {
      candidate = transform(r.module);
      if (timed && !reference.isNone()) {
        double diff = Divergence(reference, Run(candidate, example, candidate_layout));
        if (!(diff <= tolerance)) {
          r.warnings.push_back(std::string(name) + ": outputs differ from the plain model by " + Fmt(diff) +
                               " (relative); step undone");
          return false;
        }
        double ms = MillisPerCall(candidate, example, candidate_layout);
        r.log.push_back(std::string(name) + ": " + Fmt(current_ms) + " -> " + Fmt(ms) + " ms per call (x" +
                        Fmt(current_ms / ms) + "), max relative output difference " + Fmt(diff));
        current_ms = ms;
      } else {
        r.log.push_back(std::string(name) + ": applied");
      }
    } catch (const std::exception& e) {
      r.warnings.push_back(std::string(name) + " failed (" + ShortTorchError(e) +
                           "); continuing with the model from the previous step");
      return false;
    }
    r.module = candidate;
    layout = candidate_layout;
    return true;
  };
  if (bf16) {
    // bf16 keeps about 3 significant digits: check against a looser bound.
    tolerance = 3e-2;
    if (step("bf16 (" + Bf16Support() + ")",
             [](torch::jit::Module& m) {
               torch::jit::Module copy = m.clone();
               copy.to(torch::kBFloat16);
               return copy;
             },
             InputLayout{/*bf16=*/true, /*channels_last=*/false})) {
      r.bf16 = true;
    } else {
      tolerance = 1e-3;
    }
  }
  step("freeze", [](torch::jit::Module& m) { return torch::jit::freeze(m); }, layout);
  step("optimize_for_inference (conv+bn folding, oneDNN layouts and fusions)",
       [](torch::jit::Module& m) {
         torch::jit::Module copy = m.clone();
         return torch::jit::optimize_for_inference(copy);
       },
       layout);
  bool has_4d = false;
  for (const auto& v : example) has_4d = has_4d || (v.isTensor() && v.toTensor().dim() == 4);
  if (has_4d) {
    double before = current_ms;
    if (step("channels_last inputs", [](torch::jit::Module& m) { return m; },
             InputLayout{layout.bf16, /*channels_last=*/true})) {
      // Keep channels-last only if it is not slower.
      if (current_ms <= before * 1.02) {
        r.channels_last = true;
      } else {
        r.log.back() += "; not faster, inputs stay contiguous";
        current_ms = before;
        layout.channels_last = false;
      }
    }
  }
  if (timed && base_ms > 0) r.log.push_back("total: x" + Fmt(base_ms / current_ms) + " faster than the plain module");
  r.ms_per_call = timed ? current_ms : 0;
  return r;
}

}  // namespace

OptimizeResult OptimizeForCpu(const torch::jit::Module& input, const std::vector<torch::IValue>& example,
                              const OptimizeOptions& options) {
  OptimizeResult fp32 = Pipeline(input, example, /*bf16=*/false);
  const std::string support = Bf16Support();
  if (support.empty()) {
    fp32.log.push_back(options.bf16 ? "bf16 requested, but this CPU has no AVX512-BF16 or AMX: staying in fp32"
                                    : "bf16: this CPU has no AVX512-BF16 or AMX, staying in fp32");
    return fp32;
  }
  if (!options.bf16) {
    fp32.log.push_back("bf16: supported (" + support +
                       "), not enabled: set ipex_dtype: bfloat16 in model-config.yaml to trade exactness for speed");
    return fp32;
  }
  if (example.empty() || fp32.ms_per_call <= 0) {
    fp32.warnings.push_back("bf16 requested, but this handler gives no example input to check it with; staying fp32");
    return fp32;
  }
  // bf16 is kept only when the whole bf16 pipeline beats the whole fp32 one:
  // small models lose more to the casts than they gain.
  OptimizeResult bf16 = Pipeline(input, example, /*bf16=*/true);
  if (!bf16.bf16) {
    for (const auto& w : bf16.warnings) fp32.warnings.push_back(w);
    return fp32;
  }
  const std::string versus =
      Fmt(bf16.ms_per_call) + " ms per call in bf16 against " + Fmt(fp32.ms_per_call) + " ms in optimized fp32";
  if (bf16.ms_per_call < fp32.ms_per_call * 0.98) {
    bf16.log.push_back("bf16 kept: " + versus + " (x" + Fmt(fp32.ms_per_call / bf16.ms_per_call) + ")");
    return bf16;
  }
  fp32.log.push_back("bf16 not faster for this model (" + versus + "): staying fp32");
  return fp32;
}

}  // namespace hearth::worker
