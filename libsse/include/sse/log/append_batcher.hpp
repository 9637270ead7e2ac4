#pragma once

// The queue in front of a log's writer thread (SQLite's group commit,
// Redis's pipelined appends): append() queues and returns; the thread takes
// every append waiting at that moment (up to a batch size) and hands them to
// the log in arrival order, and between batches runs the log's periodic work
// (retention). Thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "sse/log/event_log.hpp"

namespace sse {

class AppendBatcher {
 public:
  struct Pending {
    EventDraft draft;
    AppendCallback done;
  };
  using Batch = std::vector<Pending>;

  AppendBatcher(size_t max_batch, int64_t tick_interval_ms)
      : max_batch_(std::max<size_t>(max_batch, 1)), tick_interval_ms_(tick_interval_ms) {}
  ~AppendBatcher() { stop(); }
  AppendBatcher(const AppendBatcher&) = delete;
  AppendBatcher& operator=(const AppendBatcher&) = delete;

  // Starts the writer thread. `write` must call back every append of its
  // batch; `tick` runs about every tick interval. Call once.
  void start(std::function<void(Batch&)> write, std::function<void()> tick) {
    write_ = std::move(write);
    tick_ = std::move(tick);
    thread_ = std::thread([this] { run(); });
  }

  // Queues an append; once stop() has begun, `done` gets unavailable at once.
  // The rvalue overload takes the draft over instead of copying it.
  void append(const EventDraft& draft, AppendCallback done) {
    append(EventDraft(draft), std::move(done));
  }
  void append(EventDraft&& draft, AppendCallback done) {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      done(Error::unavailable("the event log is closed"));
      return;
    }
    // The writer waits only on an empty queue: while it is not empty, the
    // append that filled it has woken the writer (or the writer is busy).
    const bool wake = pending_.empty();
    pending_.push_back({std::move(draft), std::move(done)});
    lock.unlock();
    if (wake) cv_.notify_one();
  }

  // Writes what is queued, then ends the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  using SteadyClock = std::chrono::steady_clock;

  void run() {
    Batch batch;
    auto next_tick = SteadyClock::now() + std::chrono::milliseconds(tick_interval_ms_);
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait_until(lock, next_tick, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) return;
      if (pending_.size() <= max_batch_) {
        batch.swap(pending_);  // the emptied batch's storage queues the next appends
      } else {
        const auto end = pending_.begin() + static_cast<long>(max_batch_);
        batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
        pending_.erase(pending_.begin(), end);
      }
      lock.unlock();
      if (!batch.empty()) write_(batch);
      batch.clear();
      if (SteadyClock::now() >= next_tick) {
        tick_();
        next_tick = SteadyClock::now() + std::chrono::milliseconds(tick_interval_ms_);
      }
      lock.lock();
    }
  }

  const size_t max_batch_;
  const int64_t tick_interval_ms_;
  std::function<void(Batch&)> write_;
  std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  Batch pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sse
