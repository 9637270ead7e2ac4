#include "sse/client/reconnect_backoff.hpp"

#include <algorithm>

namespace sse {

ReconnectBackoff::ReconnectBackoff(int64_t initial_ms, int64_t max_ms, Jitter jitter)
    : initial_ms_(std::max<int64_t>(initial_ms, 1)),
      max_ms_(std::max<int64_t>(max_ms, initial_ms_)),
      jitter_(std::move(jitter)),
      random_(std::random_device{}()) {}

void ReconnectBackoff::set_server_retry_ms(int64_t ms) {
  server_retry_ms_ = std::clamp<int64_t>(ms, 0, max_ms_);
}

int64_t ReconnectBackoff::next_bound_ms() const {
  int64_t bound = initial_ms_;
  for (int i = 0; i < failures_ && bound < max_ms_; ++i) bound *= 2;
  return std::min(bound, max_ms_);
}

int64_t ReconnectBackoff::next_delay_ms(int64_t at_least_ms) {
  const int64_t bound = next_bound_ms();
  ++failures_;
  int64_t random_part = 0;
  if (jitter_) {
    random_part = std::clamp<int64_t>(jitter_(bound), 0, bound);
  } else {
    random_part = std::uniform_int_distribution<int64_t>(0, bound)(random_);
  }
  return std::max(server_retry_ms_ + random_part, at_least_ms);
}

}  // namespace sse
