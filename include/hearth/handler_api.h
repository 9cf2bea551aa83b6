#pragma once
// Hearth's C++ handler API (version 1): write a handler for hearth-worker in
// C++, build it as a shared library against Debian's libtorch, and put it in
// the model archive:
//
//   hearth-archiver --model-name m --version 1.0 --serialized-file m.pt 
//                   --handler libmy_handler:MyHandler --extra-files libmy_handler.so
//
// (the archiver also copies libmy_handler.so when --handler names it). The
// worker loads <archive>/libmy_handler.so and creates MyHandler through the
// function HEARTH_REGISTER_HANDLER(MyHandler) defines. For each batch it
// calls Preprocess -> Inference -> Postprocess on its one thread.
//
// Errors: throw hearth::api::BadRequest from Preprocess for input a client
// got wrong (every request of the batch is answered 400 with its message);
// any other exception answers the batch 500 with its message. Postprocess
// can answer requests one by one with Response::status.

#include <torch/script.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth::api {

inline constexpr int kHandlerApiVersion = 1;

struct Input {
  std::string name;          // "body", "data", or a form field
  std::string content_type;  // without parameters; "" if none
  std::string value;         // raw bytes
};

struct Request {
  std::string request_id;
  std::vector<Input> inputs;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Response {
  int status = 200;                            // HTTP status for this request
  std::string body;                            // 2xx: the answer; else the error message
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

struct Context {
  torch::jit::Module* model = nullptr;  // loaded, in eval mode
  std::string model_name;
  std::string model_version;
  std::string model_dir;                // the extracted archive
  std::string config_json;              // model-config.yaml as JSON ("{}" when none)
  int batch_size = 1;                   // the largest batch Preprocess will get
};

class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Once, after the model is loaded. Throwing fails the worker's load.
  virtual void Initialize(const Context& context) { context_ = context; }
  // The batch's requests -> forward() arguments.
  virtual std::vector<torch::IValue> Preprocess(const std::vector<Request>& batch) = 0;
  // Default: the model's forward.
  virtual torch::IValue Inference(std::vector<torch::IValue> inputs) { return context_.model->forward(inputs); }
  // forward()'s output -> one Response per request, in order.
  virtual std::vector<Response> Postprocess(const torch::IValue& output, const std::vector<Request>& batch) = 0;

 protected:
  Context context_;
};

}  // namespace hearth::api

#define HEARTH_REGISTER_HANDLER(ClassName)                                                    \
  extern "C" __attribute__((visibility("default"))) ::hearth::api::Handler*                 \
  hearth_create_handler_v1_##ClassName() {                                                   \
    return new ClassName();                                                                  \
  }
