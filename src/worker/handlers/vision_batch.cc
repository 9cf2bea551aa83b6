#include "worker/handlers/vision_batch.h"

#include <chrono>

#include "worker/handlers/handler_util.h"

namespace hearth::worker {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

bool TakesTensorList(torch::jit::Module& module) {
  const auto& args = module.get_method("forward").function().getSchema().arguments();
  return args.size() >= 2 && args[1].type()->kind() == c10::TypeKind::ListType;
}

torch::IValue Forward(torch::jit::Module& module, const std::vector<torch::Tensor>& images, bool as_list,
                      const HandlerContext& context) {
  torch::InferenceMode guard;
  if (as_list) return module.forward({c10::List<torch::Tensor>(images)});
  // One image needs no copy into a batch.
  torch::Tensor batch = images.size() == 1 ? images.front().unsqueeze(0) : torch::stack(images);
  if (context.bf16) batch = batch.to(torch::kBFloat16);
  if (context.channels_last) batch = batch.contiguous(torch::MemoryFormat::ChannelsLast);
  return module.forward({batch});
}

}  // namespace

void RunVisionBatch(const HandlerContext& context, VisionPreprocess preprocess,
                    const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
                    HandlerTimings& timings, const VisionPostprocess& postprocess) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> images;
  std::vector<size_t> owners;
  for (size_t i = 0; i < requests.size(); ++i) {
    const ipc::Input* input = PrimaryInput(*requests[i]);
    if (!input) {
      SetError(responses[i], InvalidArgument("no input: send the image as the body or as form field 'data'"));
      continue;
    }
    auto tensor = DecodeVisionInput(*input, preprocess);
    if (!tensor.ok()) {
      SetError(responses[i], tensor.status());
      continue;
    }
    images.push_back(*tensor);
    owners.push_back(i);
  }
  timings.preprocess_us = MicrosSince(t0);
  if (images.empty()) return;
  torch::jit::Module& module = *context.module;
  const bool as_list = TakesTensorList(module);
  // Equal shapes batch together; a list-taking model takes any mix at once.
  std::vector<std::vector<size_t>> groups;
  for (size_t k = 0; k < images.size(); ++k) {
    bool placed = false;
    for (auto& g : groups) {
      if (as_list || images[g.front()].sizes() == images[k].sizes()) {
        g.push_back(k);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({k});
  }
  for (const auto& group : groups) {
    std::vector<torch::Tensor> batch;
    std::vector<size_t> group_requests;
    for (size_t k : group) {
      batch.push_back(images[k]);
      group_requests.push_back(owners[k]);
    }
    auto t1 = std::chrono::steady_clock::now();
    torch::IValue out;
    try {
      out = Forward(module, batch, as_list, context);
    } catch (const std::exception& e) {
      Status st = Internal("model inference failed: " + ShortTorchError(e));
      for (size_t r : group_requests) SetError(responses[r], st);
      continue;
    }
    timings.inference_us += MicrosSince(t1);
    auto t2 = std::chrono::steady_clock::now();
    try {
      postprocess(out, group_requests);
    } catch (const std::exception& e) {
      Status st = Internal("unexpected model output: " + ShortTorchError(e));
      for (size_t r : group_requests) {
        if (responses[r].body().empty() && responses[r].status_code() == 0) SetError(responses[r], st);
      }
    }
    timings.postprocess_us += MicrosSince(t2);
  }
}

void WarmUpVision(const HandlerContext& context, int height, int width) {
  torch::jit::Module& module = *context.module;
  const bool as_list = TakesTensorList(module);
  // Every batch size the batcher can form: the profiling executor
  // specializes per shape, so the first real request is not the slow one.
  for (int n = 1; n <= context.batch_size; ++n) {
    std::vector<torch::Tensor> images(n, torch::zeros({3, height, width}));
    for (int i = 0; i < 2; ++i) Forward(module, images, as_list, context);
  }
}

}  // namespace hearth::worker
