#include "core/asio_timers.h"

namespace hearth::core {

AsioTimers::~AsioTimers() {
  MutexLock lock(mu_);
  for (auto& [id, timer] : live_) timer->cancel();
}

Timers::Id AsioTimers::After(std::chrono::nanoseconds delay, std::function<void()> callback) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  timer->expires_after(delay);
  Id id;
  {
    MutexLock lock(mu_);
    id = next_id_++;
    live_[id] = timer;
  }
  timer->async_wait([this, id, timer, callback = std::move(callback)](const boost::system::error_code& ec) {
    {
      MutexLock lock(mu_);
      live_.erase(id);
    }
    if (!ec) callback();
  });
  return id;
}

void AsioTimers::Cancel(Id id) {
  MutexLock lock(mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return;
  it->second->cancel();
  live_.erase(it);
}

}  // namespace hearth::core
