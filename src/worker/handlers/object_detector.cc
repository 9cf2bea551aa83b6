// object_detector: TorchServe's ObjectDetector. ToTensor only (no resize);
// the model returns torchvision's List[Dict] with "boxes", "labels" and
// "scores"; detections scoring at least the threshold (0.5, or
// model-config.yaml `handler: {threshold: t}`) become
// {"<label>": [x1, y1, x2, y2], "score": s}, labels from index_to_name.json.
#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/handlers/vision_batch.h"

namespace hearth::worker {
namespace {

class ObjectDetector final : public Handler {
 public:
  Status Initialize(const HandlerContext& context) override {
    context_ = context;
    ASSIGN_OR_RETURN(labels_, LoadIndexToName(context.model_dir));
    if (auto it = context.yaml.find("handler"); it != context.yaml.end() && it->is_object()) {
      if (auto t = it->find("threshold"); t != it->end() && t->is_number()) threshold_ = t->get<double>();
    }
    return Status::Ok();
  }

  void WarmUp() override { WarmUpVision(context_, 480, 640); }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    RunVisionBatch(context_, VisionPreprocess::kToTensor, requests, responses, timings,
                   [&](const torch::IValue& out, const std::vector<size_t>& rows) {
                     if (!out.isList()) throw std::runtime_error("object_detector expects a list of detections");
                     auto list = out.toListRef();
                     if (list.size() != rows.size()) {
                       throw std::runtime_error("the model returned " + std::to_string(list.size()) +
                                                " results for " + std::to_string(rows.size()) + " images");
                     }
                     for (size_t row = 0; row < rows.size(); ++row) {
                       auto det = list[row].toGenericDict();
                       torch::Tensor boxes = det.at("boxes").toTensor().to(torch::kFloat).contiguous();
                       torch::Tensor labels = det.at("labels").toTensor().to(torch::kLong).contiguous();
                       torch::Tensor scores = det.at("scores").toTensor().to(torch::kFloat).contiguous();
                       Json result = Json::array();
                       for (int64_t i = 0; i < scores.size(0); ++i) {
                         double score = scores[i].item<float>();
                         if (score < threshold_) continue;
                         Json d = Json::object();
                         Json box = Json::array();
                         for (int c = 0; c < 4; ++c) box.push_back(static_cast<double>(boxes[i][c].item<float>()));
                         d[LabelFor(labels_, labels[i].item<int64_t>())] = box;
                         d["score"] = score;
                         result.push_back(d);
                       }
                       SetJsonBody(responses[rows[row]], result);
                     }
                   });
  }

 private:
  HandlerContext context_;
  std::map<int64_t, std::string> labels_;
  double threshold_ = 0.5;
};

}  // namespace

std::unique_ptr<Handler> MakeObjectDetector() { return std::make_unique<ObjectDetector>(); }

}  // namespace hearth::worker
