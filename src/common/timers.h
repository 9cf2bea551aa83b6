#pragma once
// Time and one-shot timers: what the core waits with. Components take a
// Timers& (never the wall clock or an asio timer directly), so unit tests
// drive batching delays, response timeouts and restart back-off with
// FakeTimers instead of sleeping. The real implementation is
// core::AsioTimers.
//
// Callbacks run on a thread of the implementation's choosing (an io thread;
// inside Advance() for the fake), never under a lock of the caller's: they
// post to their own strand or lock their own mutex. Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "common/thread_annotations.h"
#include "common/clock.h"

namespace hearth {

class Timers : public Clock {
 public:
  using Id = uint64_t;  // never 0
  // Runs `callback` once, `delay` from now (at once if <= 0), unless
  // cancelled first.
  virtual Id After(std::chrono::nanoseconds delay, std::function<void()> callback) = 0;
  Id At(SteadyTime when, std::function<void()> callback) { return After(when - Now(), std::move(callback)); }
  // A fired, cancelled or unknown id is ignored. A callback already on its
  // way may still run: callers that care compare a sequence number.
  virtual void Cancel(Id id) = 0;
};

// Time stands still until Advance(), which runs what fell due, in order.
class FakeTimers final : public Timers {
 public:
  SteadyTime Now() const override;
  Id After(std::chrono::nanoseconds delay, std::function<void()> callback) override;
  void Cancel(Id id) override;
  // Moves time forward by `d` and runs every callback due by then (in due
  // order, outside the lock; callbacks may arm more timers).
  void Advance(std::chrono::nanoseconds d);
  size_t Pending() const;

 private:
  mutable Mutex mu_;
  SteadyTime now_ HEARTH_GUARDED_BY(mu_) = SteadyTime(std::chrono::seconds(1000));
  std::map<std::pair<SteadyTime, Id>, std::function<void()>> due_ HEARTH_GUARDED_BY(mu_);
  Id next_id_ HEARTH_GUARDED_BY(mu_) = 1;
};

}  // namespace hearth
