#include "hub/feed_acks.hpp"

#include <algorithm>
#include <chrono>

namespace sse::detail {

void FeedAcks::run(Ready& ready) {
  for (auto& [waiter, delivered] : ready) waiter.done(std::move(waiter.event), delivered);
}

void FeedAcks::acknowledged(EventPtr event, Done done) {
  size_t delivered = 0;
  {
    std::lock_guard lock(mu_);
    const EventId id = event->id;
    if (id > routed_ && !flushed_) {
      waiting_.emplace(id, Waiter{std::move(event), std::move(done)});
      return;
    }
    // The feed was faster than the acknowledgement.
    auto it = std::lower_bound(recent_.begin(), recent_.end(), std::make_pair(id, size_t{0}));
    if (it != recent_.end() && it->first == id) delivered = it->second;
  }
  done(std::move(event), delivered);
}

void FeedAcks::routed(EventId id, size_t delivered) {
  Ready ready;
  {
    std::lock_guard lock(mu_);
    routed_ = std::max(routed_, id);
    recent_.emplace_back(id, delivered);
    if (recent_.size() > kRemembered) recent_.pop_front();
    while (!waiting_.empty() && waiting_.begin()->first <= routed_) {
      auto node = waiting_.extract(waiting_.begin());
      ready.emplace_back(std::move(node.mapped()), node.key() == id ? delivered : 0);
    }
  }
  routed_cv_.notify_all();
  run(ready);
}

bool FeedAcks::wait_routed(EventId id, int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return routed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return routed_ >= id; });
}

void FeedAcks::flush() {
  Ready ready;
  {
    std::lock_guard lock(mu_);
    flushed_ = true;
    for (auto& [id, waiter] : waiting_) ready.emplace_back(std::move(waiter), 0);
    waiting_.clear();
  }
  run(ready);
}

}  // namespace sse::detail
