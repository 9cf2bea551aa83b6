// image_classifier: TorchServe's ImageClassifier. Preprocessing Resize(256),
// CenterCrop(224), ToTensor, Normalize(ImageNet); output softmax then top 5
// as {"label": probability, ...}, highest first, labels from
// index_to_name.json (else the class index). model-config.yaml
// `handler: {topk: N}` changes the 5.
#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/handlers/vision_batch.h"
#include "worker/integrated_gradients.h"

namespace hearth::worker {
namespace {

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

  void WarmUp() override { WarmUpVision(context_, 224, 224); }

  std::vector<torch::IValue> ExampleInputs() const override { return {torch::randn({1, 3, 224, 224})}; }

  // TorchServe's VisionHandler.get_insights: Integrated Gradients of the
  // preprocessed image for class `target` (a form field or JSON key of the
  // request; default 0), as a [C][H][W] list.
  Status Explain(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses) override {
    for (size_t i = 0; i < requests.size(); ++i) {
      const ipc::Input* input = PrimaryInput(*requests[i]);
      if (!input) {
        SetError(responses[i], InvalidArgument("no input: send the image as the body or as form field 'data'"));
        continue;
      }
      auto image = DecodeVisionInput(*input, VisionPreprocess::kImageNet);
      if (!image.ok()) {
        SetError(responses[i], image.status());
        continue;
      }
      auto target = ExplanationTarget(*requests[i]);
      if (!target.ok()) {
        SetError(responses[i], target.status());
        continue;
      }
      auto attributions = IntegratedGradients(*context_.module, *image, *target);
      if (!attributions.ok()) {
        SetError(responses[i], attributions.status());
        continue;
      }
      SetJsonBody(responses[i], TensorToJson(*attributions));
    }
    return Status::Ok();
  }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    RunVisionBatch(context_, VisionPreprocess::kImageNet, requests, responses, timings,
                   [&](const torch::IValue& out, const std::vector<size_t>& rows) {
                     torch::Tensor logits = out.isTuple() ? out.toTupleRef().elements()[0].toTensor() : out.toTensor();
                     if (logits.is_quantized()) logits = logits.dequantize();
                     if (logits.dim() != 2 || logits.size(0) != static_cast<int64_t>(rows.size())) {
                       throw std::runtime_error(
                           "image_classifier expects the model to return [batch, classes] scores, got " +
                           std::string(c10::str(logits.sizes())));
                     }
                     torch::Tensor probs = torch::softmax(logits.to(torch::kFloat), 1);
                     const int64_t k = std::min<int64_t>(topk_, probs.size(1));
                     auto [values, indices] = probs.topk(k, 1);
                     auto v = values.accessor<float, 2>();
                     auto ix = indices.accessor<int64_t, 2>();
                     for (size_t row = 0; row < rows.size(); ++row) {
                       Json result = Json::object();
                       for (int64_t j = 0; j < k; ++j) {
                         std::string label = LabelFor(labels_, ix[row][j]);
                         if (!result.contains(label)) result[label] = static_cast<double>(v[row][j]);
                       }
                       SetJsonBody(responses[rows[row]], result);
                     }
                   });
  }

 private:
  HandlerContext context_;
  std::map<int64_t, std::string> labels_;
  int topk_ = 5;
};

}  // namespace

std::unique_ptr<Handler> MakeImageClassifier() { return std::make_unique<ImageClassifier>(); }

}  // namespace hearth::worker
