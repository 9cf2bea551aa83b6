// image_segmenter: TorchServe's ImageSegmenter. ImageNet preprocessing; the
// model returns {"out": [N, C, H, W], ...} (or a tensor); softmax over the
// classes and the most likely class per pixel. Body per image: [H][W][2] =
// [class index as a float, probability], as compact JSON (a pretty-printed
// 224x224 answer would be several MB).
#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/handlers/vision_batch.h"

namespace hearth::worker {
namespace {

class ImageSegmenter final : public Handler {
 public:
  Status Initialize(const HandlerContext& context) override {
    context_ = context;
    return Status::Ok();
  }

  void WarmUp() override { WarmUpVision(context_, 224, 224); }

  std::vector<torch::IValue> ExampleInputs() const override { return {torch::randn({1, 3, 224, 224})}; }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    RunVisionBatch(context_, VisionPreprocess::kImageNet, requests, responses, timings,
                   [&](const torch::IValue& out, const std::vector<size_t>& rows) {
                     torch::Tensor scores;
                     if (out.isGenericDict()) {
                       auto dict = out.toGenericDict();
                       if (!dict.contains("out")) throw std::runtime_error("model output has no \"out\" entry");
                       scores = dict.at("out").toTensor();
                     } else {
                       scores = out.toTensor();
                     }
                     if (scores.dim() != 4) {
                       throw std::runtime_error("image_segmenter expects [batch, classes, H, W] scores, got " +
                                                std::string(c10::str(scores.sizes())));
                     }
                     auto [values, indices] = torch::softmax(scores.to(torch::kFloat), 1).max(1);
                     torch::Tensor both = torch::stack({indices.to(torch::kFloat), values}, 3).contiguous();
                     const int64_t h = both.size(1), w = both.size(2);
                     auto a = both.accessor<float, 4>();
                     for (size_t row = 0; row < rows.size(); ++row) {
                       std::string body;
                       body.reserve(static_cast<size_t>(h * w * 24));
                       body += '[';
                       char buf[64];
                       for (int64_t y = 0; y < h; ++y) {
                         body += y ? ",[" : "[";
                         for (int64_t x = 0; x < w; ++x) {
                           std::snprintf(buf, sizeof(buf), "%s[%.1f,%.9g]", x ? "," : "", a[row][y][x][0],
                                         static_cast<double>(a[row][y][x][1]));
                           body += buf;
                         }
                         body += ']';
                       }
                       body += ']';
                       ipc::Response& r = responses[rows[row]];
                       r.set_status_code(0);
                       r.set_body(std::move(body));
                       r.set_content_type("application/json");
                     }
                   });
  }

 private:
  HandlerContext context_;
};

}  // namespace

std::unique_ptr<Handler> MakeImageSegmenter() { return std::make_unique<ImageSegmenter>(); }

}  // namespace hearth::worker
