#include "core/asio_timers.h"

namespace hearth::core {

AsioTimers::~AsioTimers() {
  MutexLock lock(state_->mu);
  for (auto& [id, timer] : state_->live) timer->cancel();
  state_->live.clear();
}

Timers::Id AsioTimers::After(std::chrono::nanoseconds delay, std::function<void()> callback) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  timer->expires_after(delay);
  Id id;
  {
    MutexLock lock(state_->mu);
    id = state_->next_id++;
    state_->live[id] = timer;
  }
  std::weak_ptr<State> weak = state_;
  timer->async_wait([weak, id, timer, callback = std::move(callback)](const boost::system::error_code& ec) {
    auto state = weak.lock();
    if (!state) return;  // the AsioTimers is gone: cancelled
    {
      MutexLock lock(state->mu);
      if (state->live.erase(id) == 0) return;  // cancelled after it fell due
    }
    if (!ec) callback();
  });
  return id;
}

void AsioTimers::Cancel(Id id) {
  MutexLock lock(state_->mu);
  auto it = state_->live.find(id);
  if (it == state_->live.end()) return;
  it->second->cancel();
  state_->live.erase(it);
}

}  // namespace hearth::core
