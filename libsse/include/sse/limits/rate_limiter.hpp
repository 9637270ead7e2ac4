#pragma once

// Per-key token buckets (the key is a user id): `rate` tokens a second, at
// most `burst` saved up. Thread-safe. Idle buckets are forgotten once full
// again, so memory follows the number of recently active users.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sse/util/ascii.hpp"
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
  // Tokens are counted in billionths (integers) so that refills and waits are
  // exact: after retry_after_ms a token is there, one millisecond earlier it is not.
  struct Bucket {
    int64_t tokens;
    int64_t updated_ms;
  };
  int64_t refilled(const Bucket& bucket, int64_t now_ms) const;
  void forget_full_buckets_locked(int64_t now_ms);

  const int64_t rate_per_ms_;  // billionths of a token a millisecond, >= 1
  const int64_t burst_;        // billionths of a token
  const Clock& clock_;
  std::mutex mu_;
  // Looked up by a view: a key that has a bucket is not copied.
  std::unordered_map<std::string, Bucket, StringViewHash, std::equal_to<>> buckets_;
  int64_t next_sweep_ms_ = 0;
};

}  // namespace sse
