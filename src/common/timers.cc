#include "common/timers.h"

#include <vector>

namespace hearth {

SteadyTime FakeTimers::Now() const {
  MutexLock lock(mu_);
  return now_;
}

Timers::Id FakeTimers::After(std::chrono::nanoseconds delay, std::function<void()> callback) {
  MutexLock lock(mu_);
  const Id id = next_id_++;
  due_.emplace(std::make_pair(now_ + std::max(delay, std::chrono::nanoseconds(0)), id), std::move(callback));
  return id;
}

void FakeTimers::Cancel(Id id) {
  MutexLock lock(mu_);
  for (auto it = due_.begin(); it != due_.end(); ++it) {
    if (it->first.second == id) {
      due_.erase(it);
      return;
    }
  }
}

void FakeTimers::Advance(std::chrono::nanoseconds d) {
  SteadyTime target;
  {
    MutexLock lock(mu_);
    target = now_ + d;
  }
  while (true) {
    std::function<void()> callback;
    {
      MutexLock lock(mu_);
      if (due_.empty() || due_.begin()->first.first > target) {
        now_ = target;
        return;
      }
      now_ = std::max(now_, due_.begin()->first.first);
      callback = std::move(due_.begin()->second);
      due_.erase(due_.begin());
    }
    callback();
  }
}

size_t FakeTimers::Pending() const {
  MutexLock lock(mu_);
  return due_.size();
}

}  // namespace hearth
