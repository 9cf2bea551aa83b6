#pragma once
// Factories of the built-in handlers (one per file in handlers/).
#include <memory>

#include "worker/handler.h"

namespace hearth::worker {

std::unique_ptr<Handler> MakeImageClassifier();
std::unique_ptr<Handler> MakeTensorHandler();
std::unique_ptr<Handler> MakeImageSegmenter();
std::unique_ptr<Handler> MakeObjectDetector();

}  // namespace hearth::worker
