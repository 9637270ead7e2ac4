#pragma once

// When to reconnect a dropped SSE stream: the server's `retry:` value
// (WHATWG HTML 9.2.6, "reconnection time"; 0 when it sent none) plus a
// random part drawn uniformly from [0, backoff], where the backoff doubles
// from 1 s to 30 s with each failure ("full jitter"). The server's value is
// a floor, so a server under load can slow its clients; the random part
// spreads the clients of a restarted server over the backoff instead of
// bringing them back at the same moment. No clock: SseSubscriber (and
// `ssectl send --retry`) ask it for each delay.

#include <cstdint>
#include <functional>
#include <random>

namespace sse {

class ReconnectBackoff {
 public:
  static constexpr int64_t kDefaultInitialMs = 1000;
  static constexpr int64_t kDefaultMaxMs = 30000;

  // Returns a value in [0, bound]; tests inject a fixed one.
  using Jitter = std::function<int64_t(int64_t bound)>;

  // `jitter` empty: uniform, from a generator seeded by std::random_device.
  explicit ReconnectBackoff(int64_t initial_ms = kDefaultInitialMs, int64_t max_ms = kDefaultMaxMs,
                            Jitter jitter = {});

  // The server's retry: value, the floor of every delay (clamped to the maximum).
  void set_server_retry_ms(int64_t ms);

  // The delay before the next attempt: retry + jitter(min(max, initial * 2^failures)),
  // and at least `at_least_ms` (a 429 or 503's Retry-After); counts one more failure.
  int64_t next_delay_ms(int64_t at_least_ms = 0);

  // The backoff bound the next delay draws from (without the retry floor).
  int64_t next_bound_ms() const;

  // A connection was opened: the next failure starts from the initial delay again.
  void reset() { failures_ = 0; }

  int failures() const { return failures_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int64_t server_retry_ms_ = 0;
  int failures_ = 0;
  Jitter jitter_;
  std::mt19937_64 random_;
};

}  // namespace sse
