#include "worker/handlers/vision_input.h"

#include "common/json.h"
#include "common/strings.h"
#include "imaging/transforms.h"
#include "worker/handlers/handler_util.h"

namespace hearth::worker {
namespace {

StatusOr<torch::Tensor> FromImageBytes(std::string_view bytes, VisionPreprocess preprocess) {
  ASSIGN_OR_RETURN(imaging::RgbImage image, imaging::DecodeImage(bytes, imaging::DecodeOptions{}));
  // Written straight into the tensor's storage.
  if (preprocess == VisionPreprocess::kImageNet) {
    torch::Tensor t = torch::empty({3, imaging::kImageNetCrop, imaging::kImageNetCrop}, torch::kFloat);
    imaging::ImageNetPreprocessInto(image, t.data_ptr<float>());
    return t;
  }
  torch::Tensor t = torch::empty({3, image.height, image.width}, torch::kFloat);
  imaging::ToChwInto(image, t.data_ptr<float>());
  return t;
}

StatusOr<torch::Tensor> FromBase64(std::string_view text, VisionPreprocess preprocess) {
  auto bytes = Base64Decode(Trim(text));
  if (!bytes) return InvalidArgument("text input is not a base64-encoded image");
  return FromImageBytes(*bytes, preprocess);
}

}  // namespace

StatusOr<torch::Tensor> DecodeVisionInput(const ipc::Input& input, VisionPreprocess preprocess) {
  const std::string& ct = input.content_type();
  const std::string& value = input.value();
  if (value.empty()) return InvalidArgument("empty input: send an image as the request body or as form field 'data'");
  if (ct == "application/json") {
    Json j;
    try {
      j = Json::parse(value);
    } catch (const std::exception&) {
      // TorchServe falls back to the raw bytes when JSON does not parse.
      return FromImageBytes(value, preprocess);
    }
    if (j.is_string()) return FromBase64(j.get<std::string>(), preprocess);
    if (j.is_array()) {
      auto t = JsonToTensor(j, torch::kFloat);
      if (!t.ok()) return t.status();
      if (t->dim() != 3) {
        return InvalidArgument("a JSON array input must be a CHW image tensor (3 dimensions), got " +
                               std::to_string(t->dim()) + " dimensions");
      }
      return *t;
    }
    if (j.is_object() && j.contains("data") && j["data"].is_string()) {
      return FromBase64(j["data"].get<std::string>(), preprocess);
    }
    return InvalidArgument("JSON input must be a base64 image string, {\"data\": \"<base64>\"} or a CHW array");
  }
  if (StartsWith(ct, "text/")) return FromBase64(value, preprocess);
  return FromImageBytes(value, preprocess);
}

}  // namespace hearth::worker
