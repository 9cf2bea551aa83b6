#include "archive/worker_runtime.h"
#include "common/strings.h"
#include "worker/handler.h"
#include "worker/handlers/builtin.h"

namespace hearth::worker {

const std::vector<std::string>& BuiltinHandlerNames() { return archive::NativeHandlerNames(); }

StatusOr<std::unique_ptr<Handler>> CreateHandler(const std::string& name) {
  if (name == "image_classifier") return MakeImageClassifier();
  if (name == "image_segmenter") return MakeImageSegmenter();
  if (name == "object_detector") return MakeObjectDetector();
  if (name == "text_classifier") return MakeTextClassifier();
  if (name == "tensor" || name == "base_handler") return MakeTensorHandler();
  const std::string builtins = Join(BuiltinHandlerNames(), ", ");
  // lib:Class -> a C++ handler library in the archive.
  if (size_t colon = name.find(':'); colon != std::string::npos && name.find(".py") == std::string::npos) {
    std::string library = name.substr(0, colon), class_name = name.substr(colon + 1);
    if (EndsWith(library, ".so")) library = library.substr(0, library.size() - 3);
    if (library.empty() || class_name.empty() || library.find('/') != std::string::npos) {
      return InvalidArgument("handler \"" + name + "\": expected libname:ClassName");
    }
    return MakeCustomHandler(library, class_name);
  }
  if (name.find(".py") != std::string::npos) {
    return FailedPrecondition("handler \"" + name +
                              "\" is a Python handler: the server runs it in the Python worker, not in hearth-worker");
  }
  if (name.empty()) {
    return InvalidArgument("the archive names no handler; register with handler=<" + builtins + ">");
  }
  return InvalidArgument("unknown handler \"" + name + "\"; built-in handlers are: " + builtins);
}

}  // namespace hearth::worker
