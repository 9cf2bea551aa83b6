// hearth-quantize: INT8 TorchScript models in one command.
//   hearth-quantize --model rn50_fp32.pt --calibration-data calib_images/ --input-shape 1,3,224,224
//                   --qscheme per_tensor_symmetric --output rn50_int8_jit.pt
//   hearth-quantize --model bert.pt --mode dynamic --output bert_int8.pt
#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/strings.h"
#include "tools/quantize/quantizer.h"

int main(int argc, char** argv) {
  hearth::tools::QuantizeOptions o;
  std::string shape = "1,3,224,224", qscheme = "per_tensor_affine", observer = "histogram", mode = "static";
  CLI::App app{"hearth-quantize: post-training INT8 quantization of TorchScript models", "hearth-quantize"};
  app.add_option("--model,-m", o.model_path, "FP32 TorchScript model")->required();
  app.add_option("--output,-o", o.output_path, "Where to write the INT8 TorchScript model")->required();
  app.add_option("--calibration-data,-d", o.calibration_data,
                 "Directory or file of images (.jpg/.png, preprocessed as image_classifier does) or tensors "
                 "(.pt/.npy), or random:N");
  app.add_option("--input-shape", shape, "Model input shape with batch dimension (1,3,224,224)");
  std::string input_dtype = "float32";
  app.add_option("--input-dtype", input_dtype, "float32, or int64 for token ids")
      ->check(CLI::IsMember({"float32", "int64"}));
  app.add_option("--qscheme", qscheme, "Activations: per_tensor_affine or per_tensor_symmetric")
      ->check(CLI::IsMember({"per_tensor_affine", "per_tensor_symmetric"}));
  app.add_option("--observer", observer, "Activation observer: minmax or histogram")
      ->check(CLI::IsMember({"minmax", "histogram"}));
  app.add_option("--mode", mode, "static (CNNs, needs calibration) or dynamic (transformers)")
      ->check(CLI::IsMember({"static", "dynamic"}));
  app.add_option("--keep-fp32", o.keep_fp32,
                 "Submodules left in FP32, comma-separated paths (e.g. fc: a classifier's last layer)")
      ->delimiter(',');
  app.add_option("--save-calibration", o.save_calibration, "Save the calibration result as JSON");
  app.add_option("--load-calibration", o.load_calibration, "Use a saved calibration instead of calibrating");
  app.add_option("--max-samples", o.max_samples, "Most calibration samples to use (1000)");
  app.add_option("--engine", o.engine, "Quantized engine: onednn or qnnpack")
      ->check(CLI::IsMember({"onednn", "qnnpack"}));
  app.add_option("--threads", o.threads, "Intra-op threads (all CPUs)");
  CLI11_PARSE(app, argc, argv);
  o.input_shape.clear();
  for (const auto& d : hearth::Split(shape, ',')) {
    auto v = hearth::ParseInt64(d);
    if (!v || *v < 1) {
      std::fprintf(stderr, "hearth-quantize: bad --input-shape %s\n", shape.c_str());
      return 2;
    }
    o.input_shape.push_back(*v);
  }
  o.scheme = qscheme == "per_tensor_symmetric" ? hearth::tools::ActivationScheme::kPerTensorSymmetric
                                               : hearth::tools::ActivationScheme::kPerTensorAffine;
  o.observer = observer == "minmax" ? hearth::tools::ObserverKind::kMinMax : hearth::tools::ObserverKind::kHistogram;
  o.dynamic = mode == "dynamic";
  o.integer_inputs = input_dtype == "int64";
  o.progress = [](size_t done, size_t total, const char* phase) {
    const int width = 30;
    int filled = total ? static_cast<int>(width * done / total) : width;
    std::fprintf(stderr, "\r%-12s [%s%s] %zu/%zu", phase, std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
  };
  auto r = hearth::tools::QuantizeModel(o);
  if (!r.ok()) {
    std::fprintf(stderr, "hearth-quantize: %s\n", r.status().message().c_str());
    return 1;
  }
  std::printf("wrote %s (%s INT8, %d quantized ops)\n", o.output_path.c_str(), mode.c_str(), r->quantized_ops);
  if (r->calibration_samples) std::printf("calibration: %zu samples, %s observer, %s\n", r->calibration_samples,
                                          observer.c_str(), qscheme.c_str());
  if (!o.keep_fp32.empty()) std::printf("kept in FP32: %s\n", hearth::Join(o.keep_fp32, ", ").c_str());
  std::printf("speed: FP32 %.2f ms -> INT8 %.2f ms per call (x%.2f)\n", r->fp32_ms, r->int8_ms,
              r->int8_ms > 0 ? r->fp32_ms / r->int8_ms : 0.0);
  if (r->compared_samples) {
    std::printf("agreement with FP32 on %zu samples: top-1 %.1f%%, max abs error %.4g (outputs up to %.4g)\n",
                r->compared_samples, 100.0 * r->top1_agreement, r->max_abs_error, r->output_scale);
  }
  return 0;
}
