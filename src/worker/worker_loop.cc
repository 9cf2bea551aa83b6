#include "worker/worker_loop.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <new>

#include "ipc/framing.h"
#include "launcher/apply.h"
#include "worker/handler.h"
#include "worker/handlers/handler_util.h"
#include "worker/optimize.h"

namespace hearth::worker {
namespace fs = std::filesystem;

namespace {

struct LoadedModel {
  torch::jit::Module module;
  std::unique_ptr<Handler> handler;
  HandlerContext context;
};

ipc::LoadModelResult LoadFailure(const Status& status, bool retryable) {
  ipc::LoadModelResult r;
  r.set_ok(false);
  r.set_status_code(static_cast<int>(status.code()));
  r.set_message(status.message());
  r.set_retryable(retryable);
  return r;
}

void SetThreads(int n) {
  if (n < 1) n = 1;
  at::set_num_threads(n);
}

ipc::LoadModelResult Load(const ipc::LoadModel& req, std::unique_ptr<LoadedModel>& loaded) {
  const auto start = std::chrono::steady_clock::now();
  auto handler = CreateHandler(req.handler());
  if (!handler.ok()) return LoadFailure(handler.status(), false);
  if (req.serialized_file().empty()) {
    return LoadFailure(InvalidArgument("the archive has no serializedFile: Hearth serves TorchScript models "
                                       "(torch.jit.script/trace + torch.jit.save); eager models need Python"),
                       false);
  }
  fs::path path = fs::path(req.model_dir()) / req.serialized_file();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return LoadFailure(NotFound("serialized file " + req.serialized_file() + " is missing from the archive"), false);
  }
  if (::chdir(req.model_dir().c_str()) != 0) {
    std::fprintf(stderr, "cannot change directory to %s\n", req.model_dir().c_str());
  }
  SetThreads(req.intra_op_threads());
  auto model = std::make_unique<LoadedModel>();
  try {
    model->module = torch::jit::load(path.string());
    model->module.eval();
  } catch (const std::bad_alloc&) {
    return LoadFailure(Status(StatusCode::kResourceExhausted, "out of memory loading " + req.serialized_file()), true);
  } catch (const std::exception& e) {
    return LoadFailure(InvalidArgument("cannot load " + req.serialized_file() + " as TorchScript: " +
                                       ShortTorchError(e)),
                       false);
  }
  model->context.module = &model->module;
  model->context.model_name = req.model_name();
  model->context.model_version = req.model_version();
  model->context.model_dir = req.model_dir();
  model->context.handler = req.handler();
  model->context.batch_size = std::max(1, req.batch_size());
  if (!req.model_yaml_json().empty()) {
    try {
      model->context.yaml = Json::parse(req.model_yaml_json());
    } catch (const std::exception&) {
    }
  }
  model->handler = std::move(*handler);
  if (req.ipex_enable()) {
    // The CPU optimizations TorchServe gets from ipex.optimize(), from stock libtorch.
    OptimizeOptions options;
    if (auto dt = model->context.yaml.find("ipex_dtype"); dt != model->context.yaml.end() && dt->is_string()) {
      options.bf16 = dt->get<std::string>() == "bfloat16" || dt->get<std::string>() == "bf16";
    }
    OptimizeResult optimized = OptimizeForCpu(model->module, model->handler->ExampleInputs(), options);
    for (const auto& line : optimized.log) std::printf("ipex_enable: %s\n", line.c_str());
    for (const auto& line : optimized.warnings) std::fprintf(stderr, "ipex_enable: WARNING %s\n", line.c_str());
    model->module = optimized.module;
    model->context.channels_last = optimized.channels_last;
    model->context.bf16 = optimized.bf16;
  }
  Status init = model->handler->Initialize(model->context);
  if (!init.ok()) return LoadFailure(init.WithPrefix("handler " + req.handler()), false);
  try {
    model->handler->WarmUp();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warm-up failed (the model still serves): %s\n", ShortTorchError(e).c_str());
  }
  ipc::LoadModelResult r;
  try {
    r.set_signature_json(model->handler->Signature().dump());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot describe the model's inputs (v2 metadata): %s\n", ShortTorchError(e).c_str());
  }
  loaded = std::move(model);
  // The optimization steps' discarded copies and the warm-up's scratch are
  // free now; hand them back (the server's MALLOC_TRIM_THRESHOLD_ keeps the
  // heap from shrinking during requests, not here): ResNet50 with
  // ipex_enable kept ~230 MB it no longer used.
  malloc_trim(0);
  r.set_ok(true);
  r.set_load_time_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  r.set_intra_op_threads(at::get_num_threads());
  std::printf("model %s version %s loaded from %s in %lld ms, %d intra-op threads\n", req.model_name().c_str(),
              req.model_version().c_str(), req.serialized_file().c_str(), static_cast<long long>(r.load_time_ms()),
              at::get_num_threads());
  std::fflush(stdout);
  return r;
}

// The server marks /explanations and KServe :explain requests with the
// header TorchServe's frontend sets, "explain: True".
bool IsExplanationRequest(const ipc::Request& request) {
  const auto it = request.headers().find("explain");
  return it != request.headers().end() && (it->second == "True" || it->second == "true");
}

ipc::PredictResult Predict(const ipc::Predict& req, LoadedModel* model) {
  const auto start = std::chrono::steady_clock::now();
  ipc::PredictResult result;
  result.set_batch_id(req.batch_id());
  std::vector<const ipc::Request*> requests;
  std::vector<ipc::Response> responses(req.requests_size());
  for (int i = 0; i < req.requests_size(); ++i) {
    requests.push_back(&req.requests(i));
    responses[i].set_request_id(req.requests(i).request_id());
  }
  if (!model) {
    for (auto& r : responses) SetError(r, Internal("no model loaded"));
  } else {
    // Explanation requests go to the handler's Explain (501 when it cannot
    // explain), never to a prediction; the rest of the batch is predicted.
    std::vector<const ipc::Request*> predictions, explanations;
    std::vector<size_t> owners, explained;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (IsExplanationRequest(*requests[i])) {
        explanations.push_back(requests[i]);
        explained.push_back(i);
      } else {
        predictions.push_back(requests[i]);
        owners.push_back(i);
      }
    }
    if (!explanations.empty()) {
      std::vector<ipc::Response> answers(explanations.size());
      try {
        Status explained_all = model->handler->Explain(explanations, answers);
        if (explained_all.code() == StatusCode::kUnimplemented) {
          for (auto& r : answers) {
            SetError(r, Status(StatusCode::kUnimplemented,
                               "handler " + model->context.handler +
                                   " cannot explain its predictions: explanations come from image_classifier "
                                   "(Integrated Gradients) or a Python handler with get_insights "
                                   "(see docs/python-handlers.md)"));
          }
        }
      } catch (const std::exception& e) {
        for (auto& r : answers) SetError(r, Internal("explanation failed: " + ShortTorchError(e)));
      }
      for (size_t k = 0; k < explained.size(); ++k) {
        answers[k].set_request_id(responses[explained[k]].request_id());
        responses[explained[k]] = std::move(answers[k]);
      }
    }
    std::vector<ipc::Response> answered(predictions.size());
    for (size_t k = 0; k < owners.size(); ++k) answered[k].set_request_id(responses[owners[k]].request_id());
    HandlerTimings timings;
    try {
      if (!predictions.empty()) model->handler->Handle(predictions, answered, timings);
    } catch (const std::bad_alloc&) {
      for (auto& r : answered) SetError(r, Status(StatusCode::kResourceExhausted, "Out of resources"));
    } catch (const std::exception& e) {
      for (auto& r : answered) SetError(r, Internal("handler failed: " + ShortTorchError(e)));
    }
    for (size_t k = 0; k < owners.size(); ++k) responses[owners[k]] = std::move(answered[k]);
    result.set_preprocess_us(timings.preprocess_us);
    result.set_inference_us(timings.inference_us);
    result.set_postprocess_us(timings.postprocess_us);
  }
  for (auto& r : responses) *result.add_responses() = std::move(r);
  result.set_prediction_us(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
  return result;
}

}  // namespace

int RunWorker(const WorkerArgs& args) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // Pin before libtorch starts any thread (threads inherit the mask).
  auto placed = launcher::ApplyPlacementFromEnvironment();
  if (!placed.ok()) {
    std::fprintf(stderr, "CPU binding failed: %s\n", placed.status().message().c_str());
  } else {
    for (const auto& w : placed->warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (placed->cpus_bound) {
      std::printf("bound to cpus %s%s\n", std::getenv("HEARTH_WORKER_CPUS"),
                  placed->memory_bound ? (std::string(", memory nodes ") + std::getenv("HEARTH_WORKER_MEMBIND")).c_str()
                                       : "");
    }
  }
  // One inter-op thread: requests are batched by the server, not run in parallel here.
  at::set_num_interop_threads(1);
  // INT8 models from hearth-quantize are packed for oneDNN (x86: VNNI where present).
  const auto& engines = at::globalContext().supportedQEngines();
  if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end()) {
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
  }
  std::printf("Torch worker started.\n");
  ipc::Envelope hello;
  hello.mutable_hello()->set_protocol_version(ipc::kProtocolVersion);
  hello.mutable_hello()->set_pid(getpid());
  if (!ipc::WriteFrame(args.ipc_fd, hello).ok()) return 1;
  std::unique_ptr<LoadedModel> model;
  ipc::FrameBuffer incoming;
  while (true) {
    auto message = ipc::ReadFrame(args.ipc_fd, incoming);
    if (!message.ok()) {
      // The server closed the connection: exit quietly.
      return message.status().code() == StatusCode::kUnavailable ? 0 : 1;
    }
    ipc::Envelope reply;
    switch (message->message_case()) {
      case ipc::Envelope::kLoadModel:
        *reply.mutable_load_model_result() = Load(message->load_model(), model);
        break;
      case ipc::Envelope::kPredict:
        *reply.mutable_predict_result() = Predict(message->predict(), model.get());
        break;
      case ipc::Envelope::kSetThreads:
        SetThreads(message->set_threads().intra_op_threads());
        std::printf("intra-op threads set to %d\n", at::get_num_threads());
        continue;
      case ipc::Envelope::kShutdown:
        std::printf("worker shutting down\n");
        return 0;
      default:
        std::fprintf(stderr, "unexpected message %d\n", static_cast<int>(message->message_case()));
        continue;
    }
    if (!ipc::WriteFrame(args.ipc_fd, reply).ok()) return 1;
  }
}

}  // namespace hearth::worker
