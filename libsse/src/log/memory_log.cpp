#include "sse/log/memory_log.hpp"

#include <algorithm>

namespace sse {
namespace {
// Events one replay call looks at, at most (accepted or not).
constexpr size_t kMaxEventsScanned = 4096;
}  // namespace

MemoryEventLog::MemoryEventLog(RetentionPolicy policy, const Clock& clock)
    : policy_(policy), clock_(clock) {}

void MemoryEventLog::append(const EventDraft& draft, AppendCallback done) {
  // The callback runs under append_mu_ (so callbacks come in id order) but
  // outside mu_ (so the callback may read the log).
  std::lock_guard order(append_mu_);
  done(seal_and_store(draft));
}

void MemoryEventLog::prune_locked(int64_t now_ms) {
  while (events_.size() > std::max<size_t>(policy_.max_events, 1)) events_.pop_front();
  if (policy_.max_age_ms <= 0) return;
  while (!events_.empty() && events_.front()->time_ms < now_ms - policy_.max_age_ms) {
    events_.pop_front();
  }
}

bool MemoryEventLog::covers_locked(EventId after) const {
  if (after > head_) return false;  // an id this log never gave out
  const EventId oldest_held = events_.empty() ? head_ + 1 : events_.front()->id;
  return after + 1 >= oldest_held;
}

Result<EventPtr> MemoryEventLog::seal_and_store(const EventDraft& draft) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.now_ms();
  Result<EventPtr> sealed = seal_event(draft, head_ + 1, now);
  if (sealed) {
    head_ += 1;
    events_.push_back(*sealed);
    prune_locked(now);
  }
  return sealed;
}

Result<ReplayPage> MemoryEventLog::replay(EventId after, EventId up_to, const EventFilter& filter,
                                          size_t max_events) const {
  ReplayPage page;
  page.next_after = after;
  std::vector<EventPtr> window;
  {
    std::lock_guard lock(mu_);
    up_to = std::min(up_to, head_);
    // Ids in the ring are consecutive, so the start is found by arithmetic;
    // one call copies a bounded window of pointers, never the whole ring.
    if (!events_.empty() && up_to > after && up_to >= events_.front()->id) {
      const EventId first = events_.front()->id;
      const size_t begin = after < first ? 0 : static_cast<size_t>(after - first + 1);
      const size_t end = static_cast<size_t>(up_to - first + 1);
      window.assign(events_.begin() + begin,
                    events_.begin() + std::min(end, begin + kMaxEventsScanned));
    }
  }
  // Filtering happens outside the lock so appends are never held up by it.
  for (auto& event : window) {
    if (page.events.size() == max_events) break;
    page.next_after = event->id;
    if (!filter || filter(*event)) page.events.push_back(std::move(event));
  }
  if (window.empty()) page.next_after = std::max(after, up_to);
  page.finished = page.next_after >= up_to;
  return page;
}

bool MemoryEventLog::covers(EventId after) const {
  std::lock_guard lock(mu_);
  return covers_locked(after);
}

EventId MemoryEventLog::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

size_t MemoryEventLog::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

}  // namespace sse
