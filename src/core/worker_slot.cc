#include "core/worker_slot.h"

namespace hearth::core {

const char* WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting: return "STARTING";
    case WorkerState::kReady: return "READY";
    case WorkerState::kBusy: return "READY";  // TorchServe reports a busy worker as READY
    case WorkerState::kRestartWait: return "UNLOADING";
    case WorkerState::kStopping: return "UNLOADING";
    case WorkerState::kStopped: return "STOPPED";
    case WorkerState::kFailed: return "FAILED";
  }
  return "UNKNOWN";
}

bool IsLegalTransition(WorkerState from, WorkerState to) {
  using S = WorkerState;
  switch (from) {
    case S::kStarting:  // kStarting -> kStarting: the first spawn of a new slot
      return to == S::kStarting || to == S::kReady || to == S::kStopping || to == S::kRestartWait ||
             to == S::kFailed || to == S::kStopped;
    case S::kReady:
      return to == S::kBusy || to == S::kStopping || to == S::kRestartWait || to == S::kFailed || to == S::kStopped;
    case S::kBusy:
      return to == S::kReady || to == S::kStopping || to == S::kRestartWait || to == S::kFailed || to == S::kStopped;
    case S::kRestartWait:
      return to == S::kStarting || to == S::kStopped;
    case S::kStopping:  // a load result may still arrive while stopping
      return to == S::kStopping || to == S::kStopped || to == S::kFailed;
    case S::kStopped:
    case S::kFailed:
      return false;
  }
  return false;
}

bool WorkerSlot::IsLive() const {
  const WorkerState s = state();
  return s == WorkerState::kStarting || s == WorkerState::kReady || s == WorkerState::kBusy;
}

bool WorkerSlot::IsActive() const { return IsLive() || state() == WorkerState::kRestartWait; }

bool WorkerSlot::IsLoaded() const {
  const WorkerState s = state();
  return s == WorkerState::kReady || s == WorkerState::kBusy;
}

}  // namespace hearth::core
