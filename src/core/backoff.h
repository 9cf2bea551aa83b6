#pragma once
// Worker restart policy, as TorchServe's WorkerLifeCycle: the delay before
// restart n (n = 1, 2, ...) follows 1,1,2,3,5,8,...,1597 s and stays at 1597;
// restarts stop once the worker has been failing for longer than the retry
// window (maxRetryTimeoutInSec, 300 s by default). A successful load resets
// the sequence. Pure; not thread-safe.

#include <optional>

#include "common/clock.h"

namespace hearth::core {

class RestartBackoff {
 public:
  explicit RestartBackoff(int max_retry_window_s) : window_s_(max_retry_window_s) {}

  // Records a failure at `now`; returns the delay before the next restart, or
  // nullopt when the worker has been failing longer than the window.
  std::optional<Millis> OnFailure(SteadyTime now) {
    if (!failing_) {
      failing_ = true;
      first_failure_ = now;
    }
    if (now - first_failure_ > std::chrono::seconds(window_s_)) return std::nullopt;
    static constexpr int kDelays[] = {0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597};
    constexpr int kLast = sizeof(kDelays) / sizeof(kDelays[0]) - 1;
    if (index_ < kLast) ++index_;
    return Millis(kDelays[index_] * 1000LL);
  }
  void OnSuccess() {
    failing_ = false;
    index_ = 0;
  }
  int failures_in_a_row() const { return index_; }

 private:
  int window_s_;
  int index_ = 0;
  bool failing_ = false;
  SteadyTime first_failure_{};
};

}  // namespace hearth::core
