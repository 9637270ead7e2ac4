#pragma once

// The clock is injected wherever time decides behaviour (token expiry, rate
// limits, heartbeats, idle timeouts) so tests can move time without sleeping.
//
// A loop that sleeps until its next timer cannot see an injected clock move;
// it asks to be told instead (Clock::watch). The real clocks move by
// themselves and tell no one: a loop on them wakes by its own timeout.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace sse {

class Clock;

// A registration with Clock::watch: while it lives, the clock calls its
// callback after every move. Move-only; destroying it unregisters, and waits
// for a call in progress to return. Empty (false) for clocks that never call.
class ClockWatch {
 public:
  ClockWatch() = default;
  ClockWatch(ClockWatch&& other) noexcept { *this = std::move(other); }
  ClockWatch& operator=(ClockWatch&& other) noexcept;
  ~ClockWatch() { reset(); }
  ClockWatch(const ClockWatch&) = delete;
  ClockWatch& operator=(const ClockWatch&) = delete;

  // True when the clock will call: time moves only when it says so.
  explicit operator bool() const { return clock_ != nullptr; }
  void reset();

 private:
  friend class Clock;
  ClockWatch(const Clock* clock, uint64_t id) : clock_(clock), id_(id) {}
  const Clock* clock_ = nullptr;
  uint64_t id_ = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch.
  virtual int64_t now_ms() const = 0;
  // Monotonic time in milliseconds from an arbitrary origin; never goes back.
  virtual int64_t steady_ms() const = 0;

  // Calls `moved` after every move of this clock, on the thread that moved
  // it, until the returned watch dies. `moved` runs under the clock's lock:
  // it must be quick and must not call back into the clock (a write to an
  // eventfd is the intended use). The clock must outlive the watch. The real
  // clocks return an empty watch and never call.
  virtual ClockWatch watch(std::function<void()> moved) const;

 protected:
  static ClockWatch make_watch(const Clock* clock, uint64_t id) { return {clock, id}; }

 private:
  friend class ClockWatch;
  virtual void unwatch(uint64_t /*id*/) const {}
};

// The real clocks. Thread-safe; the instance lives for the whole process.
class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
  int64_t steady_ms() const override;
  static const SystemClock& instance();
};

// A clock that moves only when told to, and tells its watchers when it does.
// Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  int64_t steady_ms() const override { return now_.load(); }
  void advance_ms(int64_t ms);
  void set_ms(int64_t ms);

  ClockWatch watch(std::function<void()> moved) const override;

 private:
  void unwatch(uint64_t id) const override;
  void tell_watchers() const;

  std::atomic<int64_t> now_;
  mutable std::mutex watchers_mu_;
  mutable std::map<uint64_t, std::function<void()>> watchers_;
  mutable uint64_t next_watch_id_ = 1;
};

}  // namespace sse
