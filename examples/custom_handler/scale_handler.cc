// An example C++ handler for Hearth (include/hearth/handler_api.h).
//
// ScaleHandler takes a JSON list of numbers, runs the model on them, and
// multiplies the answer by `factor` from model-config.yaml (handler: {factor: 10});
// the X-Caller request header is echoed back in the answer.
//
// Build: part of Hearth's CMake (build/lib/libscale_handler.so). Archive:
//   hearth-archiver --model-name scaled --version 1.0 --serialized-file tiny.pt 
//                   --handler build/lib/libscale_handler:ScaleHandler -c model-config.yaml
#include <string>
#include <vector>

#include "hearth/handler_api.h"

namespace {

// Parses "[1, 2.5, -3]" (a flat JSON list of numbers).
std::vector<float> ParseNumbers(const std::string& text) {
  std::vector<float> out;
  size_t i = text.find('[');
  if (i == std::string::npos || text.find(']') == std::string::npos) {
    throw hearth::api::BadRequest("send a JSON list of numbers, e.g. [1, 2, 3]");
  }
  ++i;
  while (i < text.size() && text[i] != ']') {
    if (text[i] == ',' || text[i] == ' ') {
      ++i;
      continue;
    }
    size_t used = 0;
    try {
      out.push_back(std::stof(text.substr(i), &used));
    } catch (const std::exception&) {
      throw hearth::api::BadRequest("not a number at position " + std::to_string(i));
    }
    i += used;
  }
  if (out.empty()) throw hearth::api::BadRequest("the list is empty");
  return out;
}

double FactorFrom(const std::string& config_json) {
  // A deliberately small reader for {"handler": {"factor": N}}.
  size_t at = config_json.find("\"factor\"");
  if (at == std::string::npos) return 1.0;
  size_t colon = config_json.find(':', at);
  return colon == std::string::npos ? 1.0 : std::stod(config_json.substr(colon + 1));
}

class ScaleHandler : public hearth::api::Handler {
 public:
  void Initialize(const hearth::api::Context& context) override {
    hearth::api::Handler::Initialize(context);
    factor_ = FactorFrom(context.config_json);
  }

  std::vector<torch::IValue> Preprocess(const std::vector<hearth::api::Request>& batch) override {
    std::vector<torch::Tensor> rows;
    size_t width = 0;
    for (const auto& request : batch) {
      if (request.inputs.empty()) throw hearth::api::BadRequest("no input");
      std::vector<float> values = ParseNumbers(request.inputs[0].value);
      if (width == 0) width = values.size();
      if (values.size() != width) throw hearth::api::BadRequest("all requests of a batch need the same length");
      rows.push_back(torch::tensor(values));
    }
    return {torch::stack(rows)};
  }

  std::vector<hearth::api::Response> Postprocess(const torch::IValue& output,
                                                 const std::vector<hearth::api::Request>& batch) override {
    torch::Tensor out = output.toTensor() * factor_;
    std::vector<hearth::api::Response> responses;
    for (size_t i = 0; i < batch.size(); ++i) {
      std::string body = "{\"result\": [";
      torch::Tensor row = out[static_cast<int64_t>(i)];
      for (int64_t j = 0; j < row.size(0); ++j) {
        body += (j ? ", " : "") + std::to_string(row[j].item<float>());
      }
      auto caller = batch[i].headers.find("x-caller");
      body += "], \"caller\": \"" + (caller == batch[i].headers.end() ? std::string() : caller->second) + "\"}";
      hearth::api::Response r;
      r.body = body;
      responses.push_back(r);
    }
    return responses;
  }

 private:
  double factor_ = 1.0;
};

}  // namespace

HEARTH_REGISTER_HANDLER(ScaleHandler)
