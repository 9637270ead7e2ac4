#pragma once

// When to reconnect a dropped SSE stream: exponential backoff from 1 s to
// 30 s. The server's `retry:` value (WHATWG HTML 9.2.6, "reconnection time")
// replaces the starting delay, so a server under load can slow its clients.
// Pure arithmetic, no clock: SseSubscriber asks it for each delay.

#include <cstdint>

namespace sse {

class ReconnectBackoff {
 public:
  static constexpr int64_t kDefaultInitialMs = 1000;
  static constexpr int64_t kDefaultMaxMs = 30000;

  explicit ReconnectBackoff(int64_t initial_ms = kDefaultInitialMs, int64_t max_ms = kDefaultMaxMs);

  // The server's retry: value; it becomes the first delay (clamped to the maximum).
  void set_server_retry_ms(int64_t ms);

  // The delay before the next attempt: initial * 2^(failures so far), capped at
  // the maximum; counts one more failure.
  int64_t next_delay_ms();

  // A connection was opened: the next failure starts from the initial delay again.
  void reset() { failures_ = 0; }

  int failures() const { return failures_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int failures_ = 0;
};

}  // namespace sse
