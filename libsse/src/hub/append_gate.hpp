#pragma once

// Appends the hub has started and not yet finished routing, and whether it
// still starts any. Refusing and counting are one step under one lock, so once
// close() and then wait_idle() have returned no append can still be on its way to a
// stream: everything acknowledged was routed before the farewell.
//
// Thread-safe. Its lock is a leaf: nothing is called while it is held.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace sse::detail {

class AppendGate {
 public:
  // Counts an append in; false (and not counted) once closed.
  bool enter() {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    ++in_flight_;
    return true;
  }
  // The append that enter() let in has been routed (or failed).
  void leave() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == 0) idle_.notify_all();
  }
  // Refuses from now on.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  // Returns once every append let in has left (call after close()).
  void wait_idle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
  }
  // As wait_idle(), for at most `timeout_ms`; false when appends are left.
  bool wait_idle_for(int64_t timeout_ms) {
    std::unique_lock lock(mu_);
    return idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [this] { return in_flight_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  size_t in_flight_ = 0;
  bool closed_ = false;
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
