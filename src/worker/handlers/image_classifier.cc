// image_classifier: TorchServe's ImageClassifier. Preprocessing Resize(256),
// CenterCrop(224), ToTensor, Normalize(ImageNet); output softmax then top 5
// as {"label": probability, ...}, highest first, labels from
// index_to_name.json (else the class index).
#include <chrono>

#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/handlers/vision_input.h"

namespace hearth::worker {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

class ImageClassifier final : public Handler {
 public:
  Status Initialize(const HandlerContext& context) override {
    context_ = context;
    ASSIGN_OR_RETURN(labels_, LoadIndexToName(context.model_dir));
    if (auto it = context.yaml.find("handler"); it != context.yaml.end() && it->is_object()) {
      if (auto topk = it->find("topk"); topk != it->end() && topk->is_number_integer()) topk_ = topk->get<int>();
    }
    return Status::Ok();
  }

  void WarmUp() override {
    for (int n : {1, context_.batch_size}) {
      for (int i = 0; i < 2; ++i) {
        torch::InferenceMode guard;
        context_.module->forward({torch::zeros({n, 3, 224, 224})});
      }
      if (context_.batch_size == 1) break;
    }
  }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> images;
    std::vector<size_t> owners;
    for (size_t i = 0; i < requests.size(); ++i) {
      const ipc::Input* input = PrimaryInput(*requests[i]);
      if (!input) {
        SetError(responses[i], InvalidArgument("no input: send the image as the body or as form field 'data'"));
        continue;
      }
      auto tensor = DecodeVisionInput(*input, VisionPreprocess::kImageNet);
      if (!tensor.ok()) {
        SetError(responses[i], tensor.status());
        continue;
      }
      images.push_back(*tensor);
      owners.push_back(i);
    }
    timings.preprocess_us = MicrosSince(t0);
    if (images.empty()) return;
    // Requests whose tensors differ in shape (JSON arrays) run separately.
    std::vector<std::vector<size_t>> groups;
    for (size_t k = 0; k < images.size(); ++k) {
      bool placed = false;
      for (auto& g : groups) {
        if (images[g.front()].sizes() == images[k].sizes()) {
          g.push_back(k);
          placed = true;
          break;
        }
      }
      if (!placed) groups.push_back({k});
    }
    for (const auto& group : groups) {
      std::vector<torch::Tensor> batch;
      for (size_t k : group) batch.push_back(images[k]);
      auto t1 = std::chrono::steady_clock::now();
      torch::Tensor probs;
      try {
        torch::InferenceMode guard;
        torch::IValue out = context_.module->forward({torch::stack(batch)});
        torch::Tensor logits = out.isTuple() ? out.toTuple()->elements()[0].toTensor() : out.toTensor();
        if (logits.is_quantized()) logits = logits.dequantize();
        if (logits.dim() != 2 || logits.size(0) != static_cast<int64_t>(group.size())) {
          throw std::runtime_error("image_classifier expects the model to return [batch, classes] scores, got " +
                                   std::string(c10::str(logits.sizes())));
        }
        probs = torch::softmax(logits.to(torch::kFloat), 1);
      } catch (const std::exception& e) {
        Status st = Internal("model inference failed: " + ShortTorchError(e));
        for (size_t k : group) SetError(responses[owners[k]], st);
        continue;
      }
      timings.inference_us += MicrosSince(t1);
      auto t2 = std::chrono::steady_clock::now();
      const int64_t k = std::min<int64_t>(topk_, probs.size(1));
      auto [values, indices] = probs.topk(k, 1);
      auto v = values.accessor<float, 2>();
      auto ix = indices.accessor<int64_t, 2>();
      for (size_t row = 0; row < group.size(); ++row) {
        Json result = Json::object();
        for (int64_t j = 0; j < k; ++j) {
          std::string label = LabelFor(labels_, ix[row][j]);
          if (!result.contains(label)) result[label] = static_cast<double>(v[row][j]);
        }
        SetJsonBody(responses[owners[group[row]]], result);
      }
      timings.postprocess_us += MicrosSince(t2);
    }
  }

 private:
  HandlerContext context_;
  std::map<int64_t, std::string> labels_;
  int topk_ = 5;
};

}  // namespace

std::unique_ptr<Handler> MakeImageClassifier() { return std::make_unique<ImageClassifier>(); }

}  // namespace hearth::worker
