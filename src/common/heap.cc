#include "common/heap.h"

#include <malloc.h>

#include <cstdlib>

namespace hearth {

bool UserSetsHeapVariables() {
  return std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr;
}

std::vector<std::string> HeapEnvironment() {
  if (UserSetsHeapVariables()) return {};
  return {"MALLOC_MMAP_THRESHOLD_=" + std::to_string(kHeapMmapThresholdBytes),
          "MALLOC_TRIM_THRESHOLD_=" + std::to_string(kHeapTrimThresholdBytes)};
}

void KeepLargeBlocksInHeap() {
  if (UserSetsHeapVariables()) return;
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapMmapThresholdBytes));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapTrimThresholdBytes));
}

}  // namespace hearth
