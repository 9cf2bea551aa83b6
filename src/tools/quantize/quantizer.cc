#include "tools/quantize/quantizer.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/passes/fold_conv_bn.h>
#include <torch/csrc/jit/passes/quantization/finalize.h>
#include <torch/csrc/jit/passes/quantization/insert_observers.h>
#include <torch/csrc/jit/passes/quantization/insert_quant_dequant.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include "common/files.h"
#include "common/heap.h"
#include "common/json.h"
#include "common/strings.h"
#include "tools/quantize/calibration_data.h"

namespace hearth::tools {
namespace {

using torch::jit::Module;

std::string Short(const std::exception& e) {
  std::string m = e.what();
  size_t cut = m.find("\nException raised from");
  return cut == std::string::npos ? m : m.substr(0, cut);
}

torch::Tensor OutputTensor(const torch::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  if (v.isTuple() && !v.toTupleRef().elements().empty()) return OutputTensor(v.toTupleRef().elements()[0]);
  return {};
}

double TimeForward(Module& m, const std::vector<torch::IValue>& input) {
  torch::InferenceMode guard;
  for (int i = 0; i < 3; ++i) m.forward(input);
  const int runs = 10;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) m.forward(input);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / runs;
}

// Observers keyed by where they are called: "<module path>#<n>" for the n-th
// observer call in that module's forward graph. InsertObservers numbers its
// observer attributes in an order that can change from run to run; the call
// order in the graph does not, so saved calibrations find their observers.
void CollectObserverCalls(torch::jit::Block* block, std::vector<std::string>& attr_names) {
  for (torch::jit::Node* node : block->nodes()) {
    if (node->kind() == c10::prim::CallMethod && node->inputs().size() >= 1) {
      torch::jit::Node* source = node->inputs()[0]->node();
      if (source->kind() == c10::prim::GetAttr) {
        std::string attr = source->s(c10::attr::name);
        if (attr.rfind("_observer_", 0) == 0) attr_names.push_back(attr);
      }
    }
    for (torch::jit::Block* sub : node->blocks()) CollectObserverCalls(sub, attr_names);
  }
}

std::vector<std::pair<std::string, Module>> Observers(Module& m) {
  std::vector<std::pair<std::string, Module>> out;
  for (const auto& named : m.named_modules()) {
    Module owner = named.value;
    if (IsHearthObserver(owner)) continue;
    auto method = owner.find_method("forward");
    if (!method) continue;
    std::vector<std::string> attrs;
    CollectObserverCalls(method->graph()->block(), attrs);
    int n = 0;
    for (const auto& attr : attrs) {
      out.emplace_back(named.name + "#" + std::to_string(n++), owner.attr(attr).toModule());
    }
  }
  return out;
}

std::vector<std::string> SortedNames(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

std::string ObserverName(const QuantizeOptions& o) {
  return o.observer == ObserverKind::kHistogram ? "histogram" : "minmax";
}
std::string SchemeName(const QuantizeOptions& o) {
  return o.scheme == ActivationScheme::kPerTensorSymmetric ? "per_tensor_symmetric" : "per_tensor_affine";
}

Status SaveCalibration(Module& observed, const std::string& path, const QuantizeOptions& o) {
  Json doc;
  doc["format"] = "hearth-calibration";
  doc["version"] = 1;
  doc["observer"] = ObserverName(o);
  doc["keep_fp32"] = SortedNames(o.keep_fp32);
  doc["qscheme"] = SchemeName(o);
  Json observers = Json::object();
  for (auto& [name, obs] : Observers(observed)) {
    Json state = Json::object();
    for (const auto& b : obs.named_buffers(false)) {
      torch::Tensor t = b.value.to(torch::kDouble).contiguous();
      Json values = Json::array();
      const double* p = t.data_ptr<double>();
      for (int64_t i = 0; i < t.numel(); ++i) values.push_back(p[i]);
      state[b.name] = {{"shape", t.sizes().vec()}, {"values", values}};
    }
    observers[name] = state;
  }
  doc["observers"] = observers;
  return WriteFileAtomic(path, PythonJson(doc) + "\n");
}

Status LoadCalibration(Module& observed, const std::string& path, const QuantizeOptions& o) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": not valid JSON: " + e.what());
  }
  if (doc.value("format", "") != "hearth-calibration" || !doc.contains("observers")) {
    return InvalidArgument(path + ": not a hearth-quantize calibration file");
  }
  if (doc.value("observer", "") != ObserverName(o) || doc.value("qscheme", "") != SchemeName(o)) {
    return InvalidArgument(path + ": calibrated with --observer " + doc.value("observer", "?") + " --qscheme " +
                           doc.value("qscheme", "?") + "; pass the same options to use it");
  }
  const auto saved_kept = doc.value("keep_fp32", std::vector<std::string>{});
  if (saved_kept != SortedNames(o.keep_fp32)) {
    const std::string kept = saved_kept.empty() ? "(none)" : Join(saved_kept, ",");
    return InvalidArgument(path + ": calibrated with --keep-fp32 " + kept + "; pass the same options to use it");
  }
  auto observers = Observers(observed);
  if (observers.size() != doc["observers"].size()) {
    return InvalidArgument(path + ": holds " + std::to_string(doc["observers"].size()) + " observers, the model needs " +
                           std::to_string(observers.size()) + " (saved for another model or another --mode?)");
  }
  for (auto& [name, obs] : observers) {
    auto it = doc["observers"].find(name);
    if (it == doc["observers"].end()) return InvalidArgument(path + ": no calibration for observer " + name);
    for (auto b = it->begin(); b != it->end(); ++b) {
      std::vector<int64_t> shape = b.value()["shape"].get<std::vector<int64_t>>();
      std::vector<double> values = b.value()["values"].get<std::vector<double>>();
      torch::Tensor t = torch::tensor(values, torch::kDouble).reshape(shape).to(torch::kFloat);
      obs.register_buffer(b.key(), t);
    }
  }
  return Status::Ok();
}

// No qconfig for the named submodules: InsertObservers leaves them (and
// what they call) in FP32. A name the model does not have is an error that
// lists the names it has.
Status KeepInFp32(const Module& model, const std::vector<std::string>& names, torch::jit::QConfigDict& qconfig) {
  if (names.empty()) return Status::Ok();
  std::set<std::string> have;
  for (const auto& m : model.named_modules()) {
    if (!m.name.empty()) have.insert(m.name);
  }
  for (const auto& name : names) {
    if (!have.count(name)) {
      std::string listed;
      size_t shown = 0;
      for (const auto& h : have) {
        if (h.find('.') != std::string::npos) continue;  // top-level names are enough to orient
        listed += (shown++ ? ", " : "") + h;
      }
      return InvalidArgument("--keep-fp32 " + name + ": the model has no submodule of that name (its top-level "
                             "submodules: " + (listed.empty() ? "none" : listed) + ")");
    }
    qconfig[name] = c10::nullopt;
  }
  return Status::Ok();
}

int CountQuantizedOps(Module& m) {
  int n = 0;
  for (const auto& method : m.get_methods()) {
    for (const auto* node : method.graph()->nodes()) {
      if (std::string(node->kind().toQualString()).rfind("quantized::", 0) == 0) ++n;
    }
  }
  return n;
}

}  // namespace

StatusOr<QuantizeReport> QuantizeModel(const QuantizeOptions& o) {
  QuantizeReport report;
  auto& ctx = at::globalContext();
  at::QEngine engine = o.engine == "qnnpack" ? at::QEngine::QNNPACK : at::QEngine::ONEDNN;
  const auto& supported = ctx.supportedQEngines();
  if (std::find(supported.begin(), supported.end(), engine) == supported.end()) {
    return InvalidArgument("quantized engine " + o.engine + " is not available in this libtorch");
  }
  ctx.setQEngine(engine);
  if (o.threads > 0) at::set_num_threads(o.threads);
  // The FP32/INT8 timings of the report run as the workers do (common/heap.h).
  KeepLargeBlocksInHeap();

  Module model;
  try {
    model = torch::jit::load(o.model_path);
    model.eval();
  } catch (const std::exception& e) {
    return InvalidArgument("cannot load " + o.model_path + " as TorchScript: " + Short(e));
  }
  const auto quant_type = o.dynamic ? torch::jit::QuantType::DYNAMIC : torch::jit::QuantType::STATIC;
  Module observed;
  try {
    Module folded = o.dynamic ? model.clone() : torch::jit::FoldConvBatchNorm(model);
    torch::jit::QConfigDict qconfig;
    if (o.dynamic) {
      qconfig[""] = torch::jit::QConfig(MakeDynamicActivationObserver(), MakeWeightObserver());
    } else {
      qconfig[""] = torch::jit::QConfig(MakeActivationObserver(o.observer, o.scheme), MakeWeightObserver());
    }
    RETURN_IF_ERROR(KeepInFp32(folded, o.keep_fp32, qconfig));
    observed = torch::jit::InsertObservers(folded, "forward", qconfig, /*inplace=*/false, quant_type);
  } catch (const std::exception& e) {
    return InvalidArgument("cannot prepare " + o.model_path + " for quantization: " + Short(e));
  }

  CalibrationData data;
  bool have_data = false;
  if (!o.calibration_data.empty()) {
    const size_t num_args = model.get_method("forward").function().getSchema().arguments().size() - 1;
    ASSIGN_OR_RETURN(data, CalibrationData::Open(o.calibration_data, o.input_shape, o.max_samples, num_args,
                                                 o.integer_inputs));
    have_data = true;
  }
  if (!o.dynamic) {
    if (!o.load_calibration.empty()) {
      RETURN_IF_ERROR(LoadCalibration(observed, o.load_calibration, o));
    } else {
      if (!have_data) return InvalidArgument("static quantization needs --calibration-data (or --load-calibration)");
      torch::InferenceMode guard;
      for (size_t i = 0; i < data.size(); ++i) {
        ASSIGN_OR_RETURN(auto input, data.Get(i));
        try {
          observed.forward(input);
        } catch (const std::exception& e) {
          return InvalidArgument("calibration sample " + std::to_string(i) + " fails on the model: " + Short(e));
        }
        if (o.progress) o.progress(i + 1, data.size(), "calibrating");
      }
      report.calibration_samples = data.size();
    }
    if (!o.save_calibration.empty()) RETURN_IF_ERROR(SaveCalibration(observed, o.save_calibration, o));
  }

  Module quantized;
  try {
    quantized = torch::jit::InsertQuantDeQuant(observed, "forward", /*inplace=*/false, /*debug=*/false, quant_type);
    quantized = torch::jit::Finalize(quantized, quant_type, {});
  } catch (const std::exception& e) {
    return Internal("quantization failed: " + Short(e));
  }
  report.quantized_ops = CountQuantizedOps(quantized);
  try {
    quantized.save(o.output_path);
  } catch (const std::exception& e) {
    return Internal("cannot write " + o.output_path + ": " + Short(e));
  }

  // Report: speed and agreement with FP32.
  std::vector<torch::IValue> example;
  if (have_data) {
    ASSIGN_OR_RETURN(example, data.Get(0));
  } else {
    // One random tensor per forward() argument.
    const size_t args = model.get_method("forward").function().getSchema().arguments().size() - 1;
    for (size_t i = 0; i < std::max<size_t>(1, args); ++i) {
      example.push_back(o.integer_inputs ? torch::randint(0, 2, o.input_shape, torch::kLong) : torch::randn(o.input_shape));
    }
  }
  try {
    report.fp32_ms = TimeForward(model, example);
    report.int8_ms = TimeForward(quantized, example);
  } catch (const std::exception& e) {
    return Internal("the quantized model fails on the example input: " + Short(e));
  }
  if (have_data) {
    size_t n = std::min<size_t>(data.size(), static_cast<size_t>(o.compare_samples));
    size_t same = 0;
    torch::InferenceMode guard;
    for (size_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(auto input, data.Get(i));
      torch::Tensor a = OutputTensor(model.forward(input)).to(torch::kFloat);
      torch::Tensor b = OutputTensor(quantized.forward(input));
      if (!a.defined() || !b.defined()) continue;
      if (b.is_quantized()) b = b.dequantize();
      b = b.to(torch::kFloat);
      report.max_abs_error = std::max(report.max_abs_error, (a - b).abs().max().item<double>());
      report.output_scale = std::max(report.output_scale, a.abs().max().item<double>());
      if (a.dim() >= 1 && a.numel() > 0) {
        torch::Tensor fa = a.dim() == 1 ? a.unsqueeze(0) : a.reshape({a.size(0), -1});
        torch::Tensor fb = b.dim() == 1 ? b.unsqueeze(0) : b.reshape({b.size(0), -1});
        same += fa.argmax(1).eq(fb.argmax(1)).all().item<bool>() ? 1 : 0;
      }
      if (o.progress) o.progress(i + 1, n, "comparing");
    }
    report.compared_samples = n;
    report.top1_agreement = n ? static_cast<double>(same) / n : 0;
  }
  return report;
}

}  // namespace hearth::tools
