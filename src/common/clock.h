#pragma once
// Time sources. Logic that waits or times out takes a Clock so tests can use
// FakeClock instead of sleeping. Thread-safe.

#include <atomic>
#include <chrono>

namespace hearth {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;
using Micros = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime Now() const = 0;
};

class RealClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  static const RealClock& Get() {
    static RealClock clock;
    return clock;
  }
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  SteadyTime Now() const override { return SteadyTime(std::chrono::nanoseconds(now_ns_.load())); }
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

 private:
  std::atomic<long long> now_ns_{1'000'000'000};
};

inline long long MicrosBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration_cast<Micros>(to - from).count();
}

}  // namespace hearth
