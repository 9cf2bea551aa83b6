#include "archive/worker_runtime.h"

#include <gtest/gtest.h>

#include <set>

namespace hearth::archive {
namespace {

WorkerRuntime Choose(const std::string& handler, const std::string& model_file = "",
                     std::set<std::string> files = {}) {
  return ChooseWorkerRuntime({handler, model_file, [files](const std::string& f) { return files.count(f) > 0; }})
      .runtime;
}

TEST(WorkerRuntimeTest, BuiltinHandlersOnTorchScriptStayNative) {
  EXPECT_EQ(Choose("image_classifier"), WorkerRuntime::kNative);
  EXPECT_EQ(Choose("tensor"), WorkerRuntime::kNative);
  EXPECT_EQ(Choose("text_classifier"), WorkerRuntime::kNative);
}

TEST(WorkerRuntimeTest, EagerModelsAndPythonFilesGoToPython) {
  EXPECT_EQ(Choose("image_classifier", "model.py"), WorkerRuntime::kPython);
  EXPECT_EQ(Choose("my_handler.py"), WorkerRuntime::kPython);
  EXPECT_EQ(Choose("serve/ts/torch_handler/image_classifier.py:handle"), WorkerRuntime::kPython);
  EXPECT_EQ(Choose("handler:handle", "", {"handler.py"}), WorkerRuntime::kPython);
  // A built-in's name shadowed by a file in the archive is that file.
  EXPECT_EQ(Choose("image_classifier", "", {"image_classifier.py"}), WorkerRuntime::kPython);
  // Unknown names are modules, as TorchServe imports them.
  EXPECT_EQ(Choose("invalidHandler"), WorkerRuntime::kPython);
}

TEST(WorkerRuntimeTest, HandlerLibrariesStayNative) {
  EXPECT_EQ(Choose("mylib:MyHandler", "", {"libmylib.so"}), WorkerRuntime::kNative);
  EXPECT_EQ(Choose("mylib.so:MyHandler"), WorkerRuntime::kNative);
}

TEST(WorkerRuntimeTest, TheReasonNamesTheRule) {
  EXPECT_EQ(ChooseWorkerRuntime({"image_classifier", "model.py", nullptr}).reason, "eager model (modelFile model.py)");
}

}  // namespace
}  // namespace hearth::archive
