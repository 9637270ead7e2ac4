#pragma once

// Appends the hub has started and not yet finished routing, and whether it
// still starts any. Refusing and counting are one atomic step, so once
// close() and then wait_idle() have returned no append can still be on its way to a
// stream: everything acknowledged was routed before the farewell. An append
// takes no lock while the gate is open (one compare-and-swap in, one out);
// after close(), waiters and leaving appends share one lock. wait_idle() and
// wait_idle_for() must follow close(): only then are waiters woken.
//
// Thread-safe. Its lock is a leaf: nothing is called while it is held.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace sse::detail {

class AppendGate {
 public:
  // Counts an append in; false (and not counted) once closed.
  bool enter() {
    uint64_t state = state_.load(std::memory_order_relaxed);
    do {
      if (state & kClosed) return false;
    } while (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel,
                                           std::memory_order_relaxed));
    return true;
  }
  // The append that enter() let in has been routed (or failed).
  void leave() {
    uint64_t state = state_.load(std::memory_order_relaxed);
    while (!(state & kClosed)) {  // nobody waits yet: one decrement
      if (state_.compare_exchange_weak(state, state - 1, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
        return;
      }
    }
    // Closed: waiters may be looking. The decrement happens under their
    // lock, so that none sees the gate idle (and lets it be destroyed)
    // while this leave() still touches it, and none misses the wake-up.
    std::lock_guard lock(mu_);
    if (state_.fetch_sub(1, std::memory_order_acq_rel) == (kClosed | 1)) idle_.notify_all();
  }
  // Refuses from now on.
  void close() { state_.fetch_or(kClosed, std::memory_order_acq_rel); }
  // Returns once every append let in has left (call after close()).
  void wait_idle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return idle(); });
  }
  // As wait_idle(), for at most `timeout_ms` (call after close()); false
  // when appends are left.
  bool wait_idle_for(int64_t timeout_ms) {
    std::unique_lock lock(mu_);
    return idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return idle(); });
  }

 private:
  static constexpr uint64_t kClosed = uint64_t{1} << 63;  // the rest counts appends in flight

  bool idle() const { return (state_.load(std::memory_order_acquire) & ~kClosed) == 0; }

  std::atomic<uint64_t> state_{0};
  std::mutex mu_;  // the waiters'
  std::condition_variable idle_;
};

// Leaves `gate` when it goes out of scope, also when what ran meanwhile threw.
class AppendLeaver {
 public:
  explicit AppendLeaver(AppendGate& gate) : gate_(gate) {}
  ~AppendLeaver() { gate_.leave(); }
  AppendLeaver(const AppendLeaver&) = delete;
  AppendLeaver& operator=(const AppendLeaver&) = delete;

 private:
  AppendGate& gate_;
};

}  // namespace sse::detail
