#include "tools/quantize/observers.h"

#include <limits>

namespace hearth::tools {
namespace {

// c10::ScalarType and c10::QScheme values, as TorchScript sees them (ints).
constexpr int64_t kQUInt8 = 13;
constexpr int64_t kQInt8 = 12;
constexpr int64_t kPerTensorAffine = 0;
constexpr int64_t kPerTensorSymmetric = 2;
constexpr int64_t kPerChannelSymmetric = 3;

// Shared by both per-tensor observers: the qparams of a [min, max] range.
constexpr char kQParams[] = R"JIT(
def _qparams(self, min_val: Tensor, max_val: Tensor) -> Tuple[Tensor, Tensor]:
    mn = torch.clamp(min_val, max=0.0)
    mx = torch.clamp(max_val, min=0.0)
    if self.qscheme == 2:
        amax = torch.maximum(-mn, mx)
        scale = torch.clamp(amax / ((self.quant_max - self.quant_min) / 2.0), min=1e-8)
        zero_point = torch.full([1], 128.0 if self.dtype == 13 else 0.0).long()
        return scale.reshape([1]), zero_point
    scale = torch.clamp((mx - mn) / float(self.quant_max - self.quant_min), min=1e-8)
    zero_point = torch.clamp(self.quant_min - torch.round(mn / scale).long(), self.quant_min, self.quant_max)
    return scale.reshape([1]), zero_point.reshape([1])
)JIT";

constexpr char kMinMax[] = R"JIT(
def forward(self, x: Tensor) -> Tensor:
    d = x.detach().float()
    if d.numel() > 0:
        self.min_val = torch.minimum(self.min_val, d.min())
        self.max_val = torch.maximum(self.max_val, d.max())
    return x

def calculate_qparams(self) -> Tuple[Tensor, Tensor]:
    return self._qparams(self.min_val, self.max_val)
)JIT";

// A histogram over a range that only grows (re-binned when it does); the
// quantization range drops the outermost 0.01% of observed values on each
// side, which keeps rare outliers from wasting the 256 levels.
constexpr char kHistogram[] = R"JIT(
def forward(self, x: Tensor) -> Tensor:
    d = x.detach().float().flatten()
    if d.numel() == 0:
        return x
    lo = d.min()
    hi = d.max()
    new_min = torch.minimum(self.min_val, lo)
    new_max = torch.maximum(self.max_val, hi)
    if bool(self.histogram.sum() > 0) and (bool(new_min < self.min_val) or bool(new_max > self.max_val)):
        bins = self.histogram.numel()
        old_width = (self.max_val - self.min_val) / bins
        centers = self.min_val + (torch.arange(bins).float() + 0.5) * old_width
        idx = torch.clamp(((centers - new_min) / ((new_max - new_min) / bins)).long(), 0, bins - 1)
        self.histogram = torch.zeros(bins).index_add_(0, idx, self.histogram)
    self.min_val = new_min
    self.max_val = new_max
    if bool(self.max_val > self.min_val):
        self.histogram = self.histogram + torch.histc(d, self.histogram.numel(), float(self.min_val.item()), float(self.max_val.item()))
    return x

def calculate_qparams(self) -> Tuple[Tensor, Tensor]:
    total = self.histogram.sum()
    if not bool(total > 0) or not bool(self.max_val > self.min_val):
        return self._qparams(self.min_val, self.max_val)
    bins = self.histogram.numel()
    width = (self.max_val - self.min_val) / bins
    cdf = torch.cumsum(self.histogram, 0) / total
    tail = 0.0001
    lo_idx = int(torch.searchsorted(cdf, torch.tensor([tail])).item())
    hi_idx = int(torch.searchsorted(cdf, torch.tensor([1.0 - tail])).item())
    lo = self.min_val + width * lo_idx
    hi = self.min_val + width * (min(hi_idx, bins - 1) + 1)
    return self._qparams(torch.minimum(lo, self.max_val), torch.maximum(hi, self.min_val))
)JIT";

constexpr char kPerChannel[] = R"JIT(
def forward(self, x: Tensor) -> Tensor:
    d = x.detach().float()
    d = d.reshape([d.shape[0], -1])
    mn = d.min(dim=1)[0]
    mx = d.max(dim=1)[0]
    if self.min_val.numel() == 0:
        self.min_val = mn
        self.max_val = mx
    else:
        self.min_val = torch.minimum(self.min_val, mn)
        self.max_val = torch.maximum(self.max_val, mx)
    return x

def calculate_qparams(self) -> Tuple[Tensor, Tensor]:
    amax = torch.maximum(-torch.clamp(self.min_val, max=0.0), torch.clamp(self.max_val, min=0.0))
    scale = torch.clamp(amax / ((self.quant_max - self.quant_min) / 2.0), min=1e-8)
    return scale, torch.zeros_like(scale).long()
)JIT";

constexpr char kPlaceholder[] = R"JIT(
def forward(self, x: Tensor) -> Tensor:
    return x

def calculate_qparams(self) -> Tuple[Tensor, Tensor]:
    return torch.ones([1]), torch.zeros([1]).long()
)JIT";

}  // namespace

torch::jit::Module MakeActivationObserver(ObserverKind kind, ActivationScheme scheme) {
  const bool histogram = kind == ObserverKind::kHistogram;
  torch::jit::Module m(histogram ? "__torch__.hearth.quantization.HistogramObserver"
                                 : "__torch__.hearth.quantization.MinMaxObserver");
  m.register_buffer("min_val", torch::tensor(std::numeric_limits<float>::infinity()));
  m.register_buffer("max_val", torch::tensor(-std::numeric_limits<float>::infinity()));
  if (histogram) m.register_buffer("histogram", torch::zeros({2048}));
  m.register_attribute("dtype", c10::IntType::get(), kQUInt8);
  m.register_attribute("qscheme", c10::IntType::get(),
                       scheme == ActivationScheme::kPerTensorSymmetric ? kPerTensorSymmetric : kPerTensorAffine);
  m.register_attribute("quant_min", c10::IntType::get(), int64_t{0});
  m.register_attribute("quant_max", c10::IntType::get(), int64_t{255});
  m.define(kQParams);
  m.define(histogram ? kHistogram : kMinMax);
  return m;
}

torch::jit::Module MakeWeightObserver() {
  torch::jit::Module m("__torch__.hearth.quantization.PerChannelMinMaxObserver");
  m.register_buffer("min_val", torch::empty({0}));
  m.register_buffer("max_val", torch::empty({0}));
  m.register_attribute("dtype", c10::IntType::get(), kQInt8);
  m.register_attribute("qscheme", c10::IntType::get(), kPerChannelSymmetric);
  m.register_attribute("ch_axis", c10::IntType::get(), int64_t{0});
  m.register_attribute("quant_min", c10::IntType::get(), int64_t{-128});
  m.register_attribute("quant_max", c10::IntType::get(), int64_t{127});
  m.define(kPerChannel);
  return m;
}

torch::jit::Module MakeDynamicActivationObserver() {
  torch::jit::Module m("__torch__.hearth.quantization.PlaceholderObserver");
  m.register_attribute("dtype", c10::IntType::get(), kQUInt8);
  m.register_attribute("compute_dtype", c10::IntType::get(), kQUInt8);
  m.register_attribute("custom_op", c10::StringType::get(), std::string());
  m.define(kPlaceholder);
  return m;
}

bool IsHearthObserver(const torch::jit::Module& module) {
  auto type = module.type()->name();
  return type && type->qualifiedName().find("hearth.quantization") != std::string::npos;
}

}  // namespace hearth::tools
