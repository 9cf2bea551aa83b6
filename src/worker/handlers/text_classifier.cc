// text_classifier: sequence classification with transformer models (BERT and
// friends). The text is tokenized with a WordPiece tokenizer built from the
// archive's vocab.txt; the model takes input_ids (and attention_mask,
// token_type_ids, as many as its forward() declares) and returns logits
// [batch, classes] (a tuple's first element or a dict's "logits" too).
// Answer: {"label": probability, ...} for every class, most likely first,
// labels from index_to_name.json.
//
// Request: plain text (text/plain or any non-JSON body), a JSON string, or
// {"text": "..."}. Settings (model-config.yaml, all optional):
//   handler:
//     vocab: vocab.txt          # file in the archive
//     max_length: 128           # tokens including [CLS]/[SEP]; longer texts are truncated
//     do_lower_case: true
//     strip_accents: true       # default: as do_lower_case
//     padding: longest          # or max_length (models traced for one length)
#include <chrono>
#include <filesystem>

#include "text/wordpiece.h"
#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"
#include "worker/optimize.h"

namespace hearth::worker {
namespace {

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
}

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    if (c < 0x80) extra = 0;
    else if ((c & 0xE0) == 0xC0) extra = 1;
    else if ((c & 0xF0) == 0xE0) extra = 2;
    else if ((c & 0xF8) == 0xF0) extra = 3;
    else return false;
    if (i + extra >= s.size() && extra > 0) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

StatusOr<std::string> TextOf(const ipc::Request& request) {
  const ipc::Input* input = PrimaryInput(request);
  if (!input) return InvalidArgument("no input: send the text as the body, as {\"text\": ...} or as form field data");
  std::string text = input->value();
  if (input->content_type() == "application/json" || (!text.empty() && (text[0] == '{' || text[0] == '"'))) {
    try {
      Json j = Json::parse(text);
      if (j.is_string()) text = j.get<std::string>();
      else if (j.is_object() && j.contains("text") && j["text"].is_string()) text = j["text"].get<std::string>();
      else if (j.is_object() && j.contains("data") && j["data"].is_string()) text = j["data"].get<std::string>();
      else return InvalidArgument("JSON input must be a string or {\"text\": \"...\"}");
    } catch (const std::exception&) {
      if (input->content_type() == "application/json") return InvalidArgument("body is not valid JSON");
    }
  }
  if (!ValidUtf8(text)) return InvalidArgument("the text is not valid UTF-8");
  bool blank = true;
  for (unsigned char c : text) blank = blank && std::isspace(c);
  if (blank) return InvalidArgument("empty text: nothing to classify");
  return text;
}

class TextClassifier final : public Handler {
 public:
  Status Initialize(const HandlerContext& context) override {
    context_ = context;
    text::TokenizerOptions options;
    std::string vocab = "vocab.txt";
    if (auto h = context.yaml.find("handler"); h != context.yaml.end() && h->is_object()) {
      if (auto v = h->find("vocab"); v != h->end() && v->is_string()) vocab = v->get<std::string>();
      if (auto v = h->find("max_length"); v != h->end() && v->is_number_integer()) options.max_length = v->get<int>();
      if (auto v = h->find("do_lower_case"); v != h->end() && v->is_boolean()) options.lower_case = v->get<bool>();
      if (auto v = h->find("strip_accents"); v != h->end() && v->is_boolean()) options.strip_accents = v->get<bool>();
      if (auto v = h->find("padding"); v != h->end() && v->is_string()) {
        options.pad_to_max_length = v->get<std::string>() == "max_length";
      }
    }
    std::filesystem::path path = std::filesystem::path(context.model_dir) / vocab;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return InvalidArgument("text_classifier needs the tokenizer vocabulary " + vocab +
                             " in the archive (hearth-archiver --extra-files vocab.txt)");
    }
    auto tokenizer = text::WordPieceTokenizer::FromVocabFile(path.string(), options);
    if (!tokenizer.ok()) return tokenizer.status();
    tokenizer_ = std::make_unique<text::WordPieceTokenizer>(std::move(*tokenizer));
    ASSIGN_OR_RETURN(labels_, LoadIndexToName(context.model_dir));
    const auto& args = context.module->get_method("forward").function().getSchema().arguments();
    inputs_ = std::max<int>(1, std::min<int>(3, static_cast<int>(args.size()) - 1));
    return Status::Ok();
  }

  std::vector<torch::IValue> ExampleInputs() const override {
    if (!tokenizer_) return {};
    auto e = tokenizer_->Encode("hello world");
    return Tensors({e}, false);
  }

  void WarmUp() override {
    auto e = tokenizer_->Encode("warm up the model with a short sentence");
    for (int n = 1; n <= context_.batch_size; ++n) {
      std::vector<text::Encoding> batch(static_cast<size_t>(n), e);
      for (int i = 0; i < 2; ++i) {
        torch::InferenceMode guard;
        context_.module->forward(Tensors(batch, false));
      }
    }
  }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<text::Encoding> encodings;
    std::vector<size_t> owners;
    for (size_t i = 0; i < requests.size(); ++i) {
      auto text = TextOf(*requests[i]);
      if (!text.ok()) {
        SetError(responses[i], text.status());
        continue;
      }
      encodings.push_back(tokenizer_->Encode(*text));
      owners.push_back(i);
    }
    timings.preprocess_us = MicrosSince(t0);
    if (encodings.empty()) return;
    auto t1 = std::chrono::steady_clock::now();
    torch::Tensor probs;
    try {
      std::vector<torch::IValue> args = Tensors(encodings, true);
      torch::InferenceMode guard;
      torch::IValue out = context_.module->forward(args);
      torch::Tensor logits;
      if (out.isTensor()) logits = out.toTensor();
      else if (out.isTuple()) logits = out.toTupleRef().elements()[0].toTensor();
      else if (out.isGenericDict() && out.toGenericDict().contains("logits")) {
        logits = out.toGenericDict().at("logits").toTensor();
      } else {
        throw std::runtime_error("text_classifier expects logits (a tensor, a tuple or {\"logits\": ...})");
      }
      if (logits.is_quantized()) logits = logits.dequantize();
      if (logits.dim() != 2 || logits.size(0) != static_cast<int64_t>(encodings.size())) {
        throw std::runtime_error("expected [batch, classes] logits, got " + std::string(c10::str(logits.sizes())));
      }
      probs = torch::softmax(logits.to(torch::kFloat), 1);
    } catch (const std::exception& e) {
      Status st = Internal("model inference failed: " + ShortTorchError(e));
      for (size_t i : owners) SetError(responses[i], st);
      return;
    }
    timings.inference_us = MicrosSince(t1);
    auto t2 = std::chrono::steady_clock::now();
    auto [values, indices] = probs.sort(1, /*descending=*/true);
    auto v = values.accessor<float, 2>();
    auto ix = indices.accessor<int64_t, 2>();
    for (size_t row = 0; row < owners.size(); ++row) {
      Json result = Json::object();
      for (int64_t j = 0; j < probs.size(1); ++j) {
        std::string label = LabelFor(labels_, ix[row][j]);
        if (!result.contains(label)) result[label] = static_cast<double>(v[row][j]);
      }
      SetJsonBody(responses[owners[row]], result);
    }
    timings.postprocess_us = MicrosSince(t2);
  }

 private:
  // The first inputs_ of (input_ids, attention_mask, token_type_ids), padded
  // to the longest sequence of the batch (or to max_length when configured).
  std::vector<torch::IValue> Tensors(const std::vector<text::Encoding>& batch, bool bf16_unused) const {
    (void)bf16_unused;
    size_t longest = 0;
    for (const auto& e : batch) longest = std::max(longest, e.input_ids.size());
    const int64_t n = static_cast<int64_t>(batch.size()), t = static_cast<int64_t>(longest);
    torch::Tensor ids = torch::full({n, t}, tokenizer_->PadId(), torch::kLong);
    torch::Tensor mask = torch::zeros({n, t}, torch::kLong);
    torch::Tensor types = torch::zeros({n, t}, torch::kLong);
    auto a = ids.accessor<int64_t, 2>();
    auto m = mask.accessor<int64_t, 2>();
    auto ty = types.accessor<int64_t, 2>();
    for (int64_t r = 0; r < n; ++r) {
      const auto& e = batch[static_cast<size_t>(r)];
      for (size_t c = 0; c < e.input_ids.size(); ++c) {
        a[r][static_cast<int64_t>(c)] = e.input_ids[c];
        m[r][static_cast<int64_t>(c)] = e.attention_mask[c];
        ty[r][static_cast<int64_t>(c)] = e.token_type_ids[c];
      }
    }
    std::vector<torch::IValue> args{ids};
    if (inputs_ >= 2) args.emplace_back(mask);
    if (inputs_ >= 3) args.emplace_back(types);
    return args;
  }

  HandlerContext context_;
  std::unique_ptr<text::WordPieceTokenizer> tokenizer_;
  std::map<int64_t, std::string> labels_;
  int inputs_ = 3;
};

}  // namespace

std::unique_ptr<Handler> MakeTextClassifier() { return std::make_unique<TextClassifier>(); }

}  // namespace hearth::worker
