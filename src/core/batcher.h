#pragma once
// Per-model-version request queue and batch assembly. Pure: no threads, no
// timers; the caller passes the time and arms a timer for `wake_at`. Not
// thread-safe: the owner (ModelVersion) guards it with its mutex.
//
// Parameters and behaviour
//   batch_size          the most requests in one batch (>= 1)
//   max_batch_delay_ms  how long the *first* request of a batch may wait for
//                       batch-mates, measured from its arrival
//   capacity            the most queued requests; TryEnqueue refuses beyond
//
// Example flow (batch_size 4, delay 100 ms, one idle worker):
//   t=0   A arrives  -> TakeBatch: not full, wake_at = 100
//   t=30  B arrives  -> TakeBatch: not full, wake_at = 100
//   t=100 timer      -> TakeBatch returns [A, B]
// A batch is handed out as soon as it is full or its first request has
// waited max_batch_delay_ms; partial batches are not padded. With
// batch_size 1 every request goes out at once.
//
// BatchClosing::kWhenIdle (Hearth's batch_closing=adaptive) never makes an
// idle worker wait: TakeBatch hands out what is queued at once, up to
// batch_size. Batches still grow under load, because requests queue while
// every worker is busy; a lone request is not held for max_batch_delay_ms.
//   t=0   A arrives, worker idle -> [A] at once
//   t=1   B, C, D arrive while A runs; t=5 A done -> [B, C, D]

#include <algorithm>
#include <deque>
#include <optional>
#include <vector>

#include "common/clock.h"

namespace hearth::core {

enum class BatchClosing {
  kAfterDelay,  // TorchServe's: wait up to max_batch_delay_ms to fill a batch
  kWhenIdle,    // adaptive: an idle worker takes what is queued at once
};

struct BatcherOptions {
  int batch_size = 1;
  int max_batch_delay_ms = 100;
  int capacity = 100;
  BatchClosing closing = BatchClosing::kAfterDelay;
};

template <typename T>
class Batcher {
 public:
  explicit Batcher(BatcherOptions options) : options_(options) {}

  void set_options(BatcherOptions options) { options_ = options; }
  const BatcherOptions& options() const { return options_; }
  size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  int remaining_capacity() const { return std::max(0, options_.capacity - static_cast<int>(queue_.size())); }

  // Appends `item` unless the queue is full. Returns false (and leaves `item`
  // untouched) when full.
  bool TryEnqueue(T& item, SteadyTime arrival) {
    if (static_cast<int>(queue_.size()) >= options_.capacity) return false;
    queue_.push_back(Entry{std::move(item), arrival});
    return true;
  }

  // Puts items back at the head, in order (a batch that could not be sent).
  void Requeue(std::vector<T> items, std::vector<SteadyTime> arrivals) {
    for (size_t i = items.size(); i-- > 0;) queue_.push_front(Entry{std::move(items[i]), arrivals[i]});
  }

  // For one idle worker: the batch to send now, or an empty vector. When the
  // queue holds a partial batch, *wake_at is set to when it becomes due.
  std::vector<T> TakeBatch(SteadyTime now, std::optional<SteadyTime>* wake_at) {
    if (wake_at) wake_at->reset();
    std::vector<T> batch;
    if (queue_.empty()) return batch;
    const size_t want = static_cast<size_t>(std::max(1, options_.batch_size));
    const SteadyTime due = queue_.front().arrival + Millis(std::max(0, options_.max_batch_delay_ms));
    if (options_.closing == BatchClosing::kAfterDelay && queue_.size() < want && now < due) {
      if (wake_at) *wake_at = due;
      return batch;
    }
    const size_t n = std::min(want, queue_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front().item));
      queue_.pop_front();
    }
    return batch;
  }

  // Removes and returns everything queued (shutdown, unregister, no workers).
  std::vector<T> DrainAll() {
    std::vector<T> all;
    for (auto& e : queue_) all.push_back(std::move(e.item));
    queue_.clear();
    return all;
  }

 private:
  struct Entry {
    T item;
    SteadyTime arrival;
  };
  BatcherOptions options_;
  std::deque<Entry> queue_;
};

}  // namespace hearth::core
