#include "sse/limits/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sse {
namespace {
constexpr int64_t kSweepEveryMs = 60'000;
constexpr int64_t kToken = 1'000'000'000;  // one token, in the buckets' unit
}  // namespace

RateLimiter::RateLimiter(double rate_per_second, int burst, const Clock& clock)
    : rate_per_ms_(std::max<int64_t>(std::llround(rate_per_second * (kToken / 1000)), 1)),
      burst_(int64_t{std::max(burst, 1)} * kToken),
      clock_(clock) {}

int64_t RateLimiter::refilled(const Bucket& bucket, int64_t now_ms) const {
  const int64_t elapsed = std::max<int64_t>(now_ms - bucket.updated_ms, 0);
  // Checked first so that elapsed * rate cannot overflow after a long idle.
  if (elapsed > (burst_ - bucket.tokens) / rate_per_ms_) return burst_;
  return std::min(burst_, bucket.tokens + elapsed * rate_per_ms_);
}

RateDecision RateLimiter::try_acquire(std::string_view key) {
  const int64_t now = clock_.steady_ms();
  std::lock_guard lock(mu_);
  if (now >= next_sweep_ms_) forget_full_buckets_locked(now);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  Bucket& bucket = it->second;
  bucket.tokens = refilled(bucket, now);
  bucket.updated_ms = now;
  if (bucket.tokens >= kToken) {
    bucket.tokens -= kToken;
    return {};
  }
  const int64_t missing = kToken - bucket.tokens;
  return {false, (missing + rate_per_ms_ - 1) / rate_per_ms_};
}

void RateLimiter::forget_full_buckets_locked(int64_t now_ms) {
  next_sweep_ms_ = now_ms + kSweepEveryMs;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = refilled(it->second, now_ms) >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace sse
