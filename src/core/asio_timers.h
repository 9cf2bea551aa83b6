#pragma once
// Timers on a boost::asio::io_context and the steady clock: the real
// implementation of hearth::Timers. Callbacks run on an io thread. A timer
// still pending when the AsioTimers is destroyed is cancelled and its
// callback never runs. Thread-safe.

#include <boost/asio.hpp>
#include <map>
#include <memory>

#include "common/thread_annotations.h"
#include "common/timers.h"

namespace hearth::core {

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io), state_(std::make_shared<State>()) {}
  ~AsioTimers() override;

  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  Id After(std::chrono::nanoseconds delay, std::function<void()> callback) override;
  void Cancel(Id id) override;

 private:
  // Shared with the pending handlers, which may outlive this object.
  struct State {
    Mutex mu;
    Id next_id HEARTH_GUARDED_BY(mu) = 1;
    std::map<Id, std::shared_ptr<boost::asio::steady_timer>> live HEARTH_GUARDED_BY(mu);
  };
  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace hearth::core
