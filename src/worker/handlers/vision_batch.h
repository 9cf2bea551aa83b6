#pragma once
// The part every vision handler shares: decode each request into a CHW
// tensor (a bad request gets its own error), group equal shapes, and run
// each group through the model as one batch.

#include <torch/script.h>

#include <functional>
#include <vector>

#include "worker/handler.h"
#include "worker/handlers/vision_input.h"

namespace hearth::worker {

// Called per group with the model output and the request indices (into the
// batch) of its rows, in order.
using VisionPostprocess = std::function<void(const torch::IValue& output, const std::vector<size_t>& requests)>;

// Runs the whole batch. A model whose forward takes List[Tensor] (torchvision
// detection models) gets a list; other models get a stacked [N,C,H,W] tensor.
void RunVisionBatch(const HandlerContext& context, VisionPreprocess preprocess,
                    const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
                    HandlerTimings& timings, const VisionPostprocess& postprocess);

// Warm-up with zero images at batch sizes 1 and batch_size, twice each (the
// profiling executor specializes on the first calls).
void WarmUpVision(const HandlerContext& context, int height, int width);

}  // namespace hearth::worker
