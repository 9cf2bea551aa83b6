#pragma once
// Timers on a boost::asio::io_context and the steady clock: the real
// implementation of hearth::Timers. Callbacks run on an io thread.
// Thread-safe.

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "common/thread_annotations.h"
#include "common/timers.h"

namespace hearth::core {

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  ~AsioTimers() override;

  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  Id After(std::chrono::nanoseconds delay, std::function<void()> callback) override;
  void Cancel(Id id) override;

 private:
  boost::asio::io_context& io_;
  Mutex mu_;
  Id next_id_ HEARTH_GUARDED_BY(mu_) = 1;
  std::map<Id, std::shared_ptr<boost::asio::steady_timer>> live_ HEARTH_GUARDED_BY(mu_);
};

}  // namespace hearth::core
