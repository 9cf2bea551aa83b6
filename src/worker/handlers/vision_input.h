#pragma once
// Turning a request input into an image tensor the way TorchServe's vision
// handlers accept it: raw image bytes (JPEG/PNG), a base64 string (text/*
// body or a JSON string, e.g. KServe's {"data": "<b64>"}), or a JSON array
// taken as a CHW float tensor as is.

#include <torch/script.h>

#include <functional>

#include "common/status.h"
#include "imaging/image.h"
#include "worker.pb.h"

namespace hearth::worker {

enum class VisionPreprocess {
  kImageNet,  // Resize(256), CenterCrop(224), ToTensor, Normalize
  kToTensor,  // ToTensor only (object detection)
};

// Returns a CHW float tensor. Errors are kInvalidArgument naming the problem.
StatusOr<torch::Tensor> DecodeVisionInput(const ipc::Input& input, VisionPreprocess preprocess);

}  // namespace hearth::worker
