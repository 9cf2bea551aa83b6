#include "tools/bench/raw_runner.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <chrono>
#include <cstdio>

#include "common/files.h"
#include "common/heap.h"
#include "imaging/image.h"
#include "imaging/transforms.h"
#include "worker/optimize.h"

namespace hearth::bench {

StatusOr<RawResult> RunRaw(const RawSpec& spec) {
  // As in the workers: without it, about half of the runs of a small image
  // model fault their activations in on every iteration (common/heap.h).
  KeepLargeBlocksInHeap();
  at::set_num_interop_threads(1);
  at::set_num_threads(std::max(1, spec.threads));
  torch::jit::Module module;
  bool channels_last = false;
  bool bf16 = false;
  try {
    module = torch::jit::load(spec.model_path);
    module.eval();
    if (spec.optimize) {
      std::vector<int64_t> example_shape = {1};
      example_shape.insert(example_shape.end(), spec.sample_shape.begin(), spec.sample_shape.end());
      std::vector<torch::IValue> example;
      if (spec.integer_inputs) {
        const size_t n = module.get_method("forward").function().getSchema().arguments().size() - 1;
        for (size_t a = 0; a < n; ++a) example.push_back(torch::randint(0, 2, example_shape, torch::kLong));
      } else {
        example.push_back(torch::rand(example_shape));
      }
      worker::OptimizeOptions options;
      options.bf16 = spec.bf16;
      auto optimized = worker::OptimizeForCpu(module, example, options);
      module = optimized.module;
      channels_last = optimized.channels_last;
      bf16 = optimized.bf16;
      for (const auto& l : optimized.log) std::fprintf(stderr, "optimize: %s\n", l.c_str());
      for (const auto& l : optimized.warnings) std::fprintf(stderr, "optimize: WARNING %s\n", l.c_str());
    }
  } catch (const std::exception& e) {
    return InvalidArgument("cannot load " + spec.model_path + ": " + std::string(e.what()).substr(0, 300));
  }
  std::string image_bytes;
  if (!spec.image_path.empty()) {
    ASSIGN_OR_RETURN(image_bytes, ReadFile(spec.image_path));
  }
  std::vector<int64_t> shape = {spec.batch};
  shape.insert(shape.end(), spec.sample_shape.begin(), spec.sample_shape.end());
  torch::Tensor input = torch::rand(shape);
  std::vector<torch::IValue> int_args;
  if (spec.integer_inputs) {
    const size_t n = module.get_method("forward").function().getSchema().arguments().size() - 1;
    for (size_t a = 0; a < n; ++a) int_args.push_back(torch::randint(0, 2, shape, torch::kLong));
  }
  RawResult result;
  double preprocess_total = 0;
  auto one = [&]() {
    torch::Tensor x = input;
    if (!image_bytes.empty()) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<torch::Tensor> images;
      for (int b = 0; b < spec.batch; ++b) {
        auto img = imaging::DecodeImage(image_bytes, {});
        std::vector<float> chw = imaging::ImageNetPreprocess(*img);
        images.push_back(torch::from_blob(chw.data(), {3, 224, 224}, torch::kFloat).clone());
      }
      x = torch::stack(images);
      preprocess_total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    if (bf16) x = x.to(torch::kBFloat16);
    if (channels_last && x.dim() == 4) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    torch::InferenceMode guard;
    if (!int_args.empty()) {
      module.forward(int_args);
      return;
    }
    module.forward({x});
  };
  try {
    for (int i = 0; i < spec.warmup; ++i) one();
    preprocess_total = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < spec.iterations; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      one();
      result.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } catch (const std::exception& e) {
    return InvalidArgument("model failed on a " + std::string(c10::str(c10::IntArrayRef(shape))) +
                           " input: " + std::string(e.what()).substr(0, 300));
  }
  result.items_per_s = spec.iterations * spec.batch / result.seconds;
  result.preprocess_ms_mean = spec.iterations ? preprocess_total / spec.iterations : 0;
  return result;
}

}  // namespace hearth::bench
