#include "sse/limits/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sse {
namespace {
constexpr int64_t kSweepEveryMs = 60'000;
}

RateLimiter::RateLimiter(double rate_per_second, int burst, const Clock& clock)
    : rate_per_ms_(std::max(rate_per_second, 1e-9) / 1000.0),
      burst_(std::max(burst, 1)),
      clock_(clock) {}

RateDecision RateLimiter::try_acquire(std::string_view key) {
  const int64_t now = clock_.steady_ms();
  std::lock_guard lock(mu_);
  if (now >= next_sweep_ms_) forget_full_buckets_locked(now);
  auto [it, inserted] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = static_cast<double>(std::max<int64_t>(now - bucket.updated_ms, 0));
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_per_ms_);
    bucket.updated_ms = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double missing = 1.0 - bucket.tokens;
  return {false, static_cast<int64_t>(std::ceil(missing / rate_per_ms_))};
}

void RateLimiter::forget_full_buckets_locked(int64_t now_ms) {
  next_sweep_ms_ = now_ms + kSweepEveryMs;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double refilled =
        it->second.tokens + static_cast<double>(now_ms - it->second.updated_ms) * rate_per_ms_;
    it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace sse
