#pragma once
// Which worker program serves a model: the C++ hearth-worker or the Python
// worker. Pure (file existence comes in as a function), so the rules are
// unit-tested directly.
//
//   handler                     model file   archive holds     -> runtime
//   image_classifier, tensor..  none                           -> native (TorchScript)
//   image_classifier, ...       model.py                       -> python (eager model)
//   my_handler.py[:fn]          any                            -> python
//   module:function             any          module.py         -> python
//   lib:Class                   any          lib.so/liblib.so  -> native (C++ handler library)
//   any other name              any                            -> python (a module, as TorchServe
//                                                                 imports it; built-in Python
//                                                                 handlers by that name too)

#include <functional>
#include <string>
#include <vector>

namespace hearth::archive {

enum class WorkerRuntime { kNative, kPython };
const char* WorkerRuntimeName(WorkerRuntime runtime);  // "native", "python"

// The handlers hearth-worker implements in C++ on TorchScript models.
const std::vector<std::string>& NativeHandlerNames();

struct RuntimeInputs {
  std::string handler;     // the manifest's (or registration's) handler string
  std::string model_file;  // the manifest's modelFile ("" when none)
  // Whether a file of that name exists in the model directory.
  std::function<bool(const std::string& name)> has_file;
};

struct RuntimeChoice {
  WorkerRuntime runtime = WorkerRuntime::kNative;
  std::string reason;  // for the registration log line, e.g. "eager model (modelFile model.py)"
};

RuntimeChoice ChooseWorkerRuntime(const RuntimeInputs& inputs);

}  // namespace hearth::archive
