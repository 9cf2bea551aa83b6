#include "archive/worker_runtime.h"

#include <algorithm>

namespace hearth::archive {

const char* WorkerRuntimeName(WorkerRuntime runtime) {
  return runtime == WorkerRuntime::kPython ? "python" : "native";
}

const std::vector<std::string>& NativeHandlerNames() {
  static const std::vector<std::string> names = {"image_classifier", "image_segmenter", "object_detector",
                                                 "text_classifier",  "tensor",          "base_handler"};
  return names;
}

namespace {

RuntimeChoice Python(std::string reason) { return {WorkerRuntime::kPython, std::move(reason)}; }
RuntimeChoice Native(std::string reason) { return {WorkerRuntime::kNative, std::move(reason)}; }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

RuntimeChoice ChooseWorkerRuntime(const RuntimeInputs& in) {
  const std::string& handler = in.handler;
  auto has = [&](const std::string& name) { return in.has_file && in.has_file(name); };
  if (handler.find(".py") != std::string::npos) return Python("Python handler " + handler);
  if (const size_t colon = handler.find(':'); colon != std::string::npos) {
    std::string module = handler.substr(0, colon);
    if (EndsWith(module, ".so")) return Native("C++ handler library " + module);
    if (has(module + ".py")) return Python("Python handler " + module + ".py");
    if (has("lib" + module + ".so") || has(module + ".so")) return Native("C++ handler library " + module);
    return Python("handler module " + module);
  }
  const auto& natives = NativeHandlerNames();
  const bool native_name = std::find(natives.begin(), natives.end(), handler) != natives.end();
  if (native_name && !has(handler + ".py")) {
    if (!in.model_file.empty()) return Python("eager model (modelFile " + in.model_file + ")");
    return Native("built-in handler " + handler + " on TorchScript");
  }
  if (handler.empty()) return Native("no handler named");
  return Python("handler module " + handler);
}

}  // namespace hearth::archive
