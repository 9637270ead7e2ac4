#pragma once

// The clock is injected wherever time decides behaviour (token expiry, rate
// limits, heartbeats, idle timeouts) so tests can move time without sleeping.

#include <atomic>
#include <cstdint>

namespace sse {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch.
  virtual int64_t now_ms() const = 0;
  // Monotonic time in milliseconds from an arbitrary origin; never goes back.
  virtual int64_t steady_ms() const = 0;
};

// The real clocks. Thread-safe; the instance lives for the whole process.
class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
  int64_t steady_ms() const override;
  static const SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  int64_t steady_ms() const override { return now_.load(); }
  void advance_ms(int64_t ms) { now_ += ms; }
  void set_ms(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace sse
