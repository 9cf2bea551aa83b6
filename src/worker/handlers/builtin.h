#pragma once
// Factories of the built-in handlers (one per file in handlers/).
#include <memory>
#include <string>

#include "worker/handler.h"

namespace hearth::worker {

std::unique_ptr<Handler> MakeImageClassifier();
std::unique_ptr<Handler> MakeTensorHandler();
std::unique_ptr<Handler> MakeImageSegmenter();
std::unique_ptr<Handler> MakeObjectDetector();
std::unique_ptr<Handler> MakeTextClassifier();
// `lib:Class` handlers from the archive (include/hearth/handler_api.h).
std::unique_ptr<Handler> MakeCustomHandler(const std::string& library, const std::string& class_name);

}  // namespace hearth::worker
