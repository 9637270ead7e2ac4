#pragma once

// Per-key token buckets (the key is a user id): `rate` tokens a second, at
// most `burst` saved up. Thread-safe. Idle buckets are forgotten once full
// again, so memory follows the number of recently active users.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sse/util/clock.hpp"

namespace sse {

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // when refused: how long until a token is due
};

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, int burst, const Clock& clock);

  // Takes one token for `key`, or says how long to wait for one.
  RateDecision try_acquire(std::string_view key);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  void forget_full_buckets_locked(int64_t now_ms);

  const double rate_per_ms_;
  const double burst_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t next_sweep_ms_ = 0;
};

}  // namespace sse
