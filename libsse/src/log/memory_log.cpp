#include "sse/log/memory_log.hpp"

#include <algorithm>

namespace sse {

MemoryEventLog::MemoryEventLog(RetentionPolicy policy, const Clock& clock)
    : policy_(policy), clock_(clock) {}

Result<EventPtr> MemoryEventLog::append(const EventDraft& draft) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.now_ms();
  auto sealed = seal_event(draft, head_ + 1, now);
  if (!sealed) return sealed;
  head_ += 1;
  events_.push_back(*sealed);
  prune_locked(now);
  return sealed;
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

ReplayResult MemoryEventLog::replay(EventId after, EventId up_to,
                                    const EventFilter& filter) const {
  std::vector<EventPtr> candidates;
  ReplayResult result;
  {
    std::lock_guard lock(mu_);
    result.complete = covers_locked(after);
    // Ids in the ring are consecutive, so the start is found by arithmetic.
    if (!events_.empty() && up_to > after) {
      const EventId first = events_.front()->id;
      size_t begin = after < first ? 0 : static_cast<size_t>(after - first + 1);
      size_t end = std::min(events_.size(), static_cast<size_t>(up_to - first + 1));
      if (up_to >= first && begin < end) {
        candidates.assign(events_.begin() + begin, events_.begin() + end);
      }
    }
  }
  // Filtering happens outside the lock so appends are never held up by it.
  for (auto& event : candidates) {
    if (!filter || filter(*event)) result.events.push_back(std::move(event));
  }
  return result;
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
