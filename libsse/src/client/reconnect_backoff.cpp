#include "sse/client/reconnect_backoff.hpp"

#include <algorithm>

namespace sse {

ReconnectBackoff::ReconnectBackoff(int64_t initial_ms, int64_t max_ms)
    : initial_ms_(std::max<int64_t>(initial_ms, 0)),
      max_ms_(std::max<int64_t>(max_ms, initial_ms_)) {}

void ReconnectBackoff::set_server_retry_ms(int64_t ms) {
  initial_ms_ = std::clamp<int64_t>(ms, 0, max_ms_);
}

int64_t ReconnectBackoff::next_delay_ms() {
  // A server retry of 0 means "at once" for the first attempt; doubling zero
  // would then spin, so later attempts start from the default delay.
  int64_t delay = initial_ms_;
  int doublings = failures_;
  if (delay == 0 && failures_ > 0) {
    delay = std::min<int64_t>(kDefaultInitialMs, max_ms_);
    doublings = failures_ - 1;
  }
  for (int i = 0; i < doublings && delay < max_ms_; ++i) delay *= 2;
  ++failures_;
  return std::min(delay, max_ms_);
}

}  // namespace sse
