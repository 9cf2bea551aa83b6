// Custom C++ handlers (include/hearth/handler_api.h): `lib:Class` in the
// manifest loads <model dir>/lib.so and its HEARTH_REGISTER_HANDLER(Class).
#include <dlfcn.h>

#include <chrono>
#include <filesystem>

#include "hearth/handler_api.h"
#include "worker/handler.h"
#include "worker/handlers/builtin.h"
#include "worker/handlers/handler_util.h"

namespace hearth::worker {
namespace {

StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400: return StatusCode::kInvalidArgument;
    case 404: return StatusCode::kNotFound;
    case 413: return StatusCode::kPayloadTooLarge;
    case 415: return StatusCode::kUnsupportedMediaType;
    case 501: return StatusCode::kUnimplemented;
    case 503: return StatusCode::kPredictionFailed;
    case 507: return StatusCode::kResourceExhausted;
    default: return status >= 400 && status < 500 ? StatusCode::kInvalidArgument : StatusCode::kInternal;
  }
}

class CustomHandler final : public Handler {
 public:
  CustomHandler(std::string library, std::string class_name)
      : library_(std::move(library)), class_name_(std::move(class_name)) {}

  ~CustomHandler() override {
    impl_.reset();  // before the library that holds its code goes away
    if (dl_) dlclose(dl_);
  }

  Status Initialize(const HandlerContext& context) override {
    std::filesystem::path path = std::filesystem::path(context.model_dir) / (library_ + ".so");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return InvalidArgument("handler library " + library_ + ".so is not in the archive");
    }
    dl_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dl_) return InvalidArgument(std::string("cannot load ") + path.string() + ": " + dlerror());
    const std::string symbol = "hearth_create_handler_v1_" + class_name_;
    using Factory = api::Handler* (*)();
    auto factory = reinterpret_cast<Factory>(dlsym(dl_, symbol.c_str()));
    if (!factory) {
      return InvalidArgument(library_ + ".so has no handler class " + class_name_ +
                             " (HEARTH_REGISTER_HANDLER(" + class_name_ + ") with handler API v" +
                             std::to_string(api::kHandlerApiVersion) + ")");
    }
    impl_.reset(factory());
    api::Context c;
    c.model = context.module;
    c.model_name = context.model_name;
    c.model_version = context.model_version;
    c.model_dir = context.model_dir;
    c.config_json = context.yaml.dump();
    c.batch_size = context.batch_size;
    try {
      impl_->Initialize(c);
    } catch (const std::exception& e) {
      return InvalidArgument(class_name_ + "::Initialize failed: " + e.what());
    }
    return Status::Ok();
  }

  void Handle(const std::vector<const ipc::Request*>& requests, std::vector<ipc::Response>& responses,
              HandlerTimings& timings) override {
    std::vector<api::Request> batch;
    for (const auto* r : requests) {
      api::Request q;
      q.request_id = r->request_id();
      for (const auto& in : r->inputs()) q.inputs.push_back({in.name(), in.content_type(), in.value()});
      for (const auto& [k, v] : r->headers()) q.headers[k] = v;
      batch.push_back(std::move(q));
    }
    std::vector<api::Response> answers;
    try {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<torch::IValue> inputs = impl_->Preprocess(batch);
      auto t1 = std::chrono::steady_clock::now();
      torch::IValue output;
      {
        torch::InferenceMode guard;
        output = impl_->Inference(std::move(inputs));
      }
      auto t2 = std::chrono::steady_clock::now();
      answers = impl_->Postprocess(output, batch);
      auto t3 = std::chrono::steady_clock::now();
      timings.preprocess_us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
      timings.inference_us = std::chrono::duration_cast<std::chrono::microseconds>(t2 - t1).count();
      timings.postprocess_us = std::chrono::duration_cast<std::chrono::microseconds>(t3 - t2).count();
    } catch (const api::BadRequest& e) {
      for (auto& r : responses) SetError(r, InvalidArgument(e.what()));
      return;
    } catch (const std::exception& e) {
      for (auto& r : responses) SetError(r, Internal(class_name_ + ": " + ShortTorchError(e)));
      return;
    }
    if (answers.size() != requests.size()) {
      for (auto& r : responses) {
        SetError(r, Internal(class_name_ + "::Postprocess returned " + std::to_string(answers.size()) +
                             " responses for " + std::to_string(requests.size()) + " requests"));
      }
      return;
    }
    for (size_t i = 0; i < answers.size(); ++i) {
      const api::Response& a = answers[i];
      if (a.status >= 400) {
        SetError(responses[i], Status(CodeForHttp(a.status), a.body));
        continue;
      }
      responses[i].set_status_code(0);
      responses[i].set_body(a.body);
      responses[i].set_content_type(a.content_type);
      for (const auto& [k, v] : a.headers) (*responses[i].mutable_headers())[k] = v;
    }
  }

 private:
  std::string library_;
  std::string class_name_;
  void* dl_ = nullptr;
  std::unique_ptr<api::Handler> impl_;
};

}  // namespace

std::unique_ptr<Handler> MakeCustomHandler(const std::string& library, const std::string& class_name) {
  return std::make_unique<CustomHandler>(library, class_name);
}

}  // namespace hearth::worker
