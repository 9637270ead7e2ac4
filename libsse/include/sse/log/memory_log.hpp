#pragma once

#include <deque>
#include <mutex>

#include "sse/log/event_log.hpp"
#include "sse/util/clock.hpp"

namespace sse {

struct RetentionPolicy {
  size_t max_events = 100000;               // >= 1
  int64_t max_age_ms = 24LL * 3600 * 1000;  // 0: no age limit
};

// A bounded in-memory ring: the newest `max_events` events younger than
// `max_age`. Lost on restart, so ids start again at 1 (a client resuming with
// an id from an earlier run is told its replay is incomplete). Appends finish
// (and call back) on the caller's thread. Thread-safe.
class MemoryEventLog final : public EventLog {
 public:
  MemoryEventLog(RetentionPolicy policy, const Clock& clock);

  void append(const EventDraft& draft, AppendCallback done) override;
  bool appends_inline() const override { return true; }
  Result<ReplayPage> replay(EventId after, EventId up_to, const EventFilter& filter,
                            size_t max_events) const override;
  bool covers(EventId after) const override;
  EventId head() const override;
  size_t size() const override;

 private:
  Result<EventPtr> seal_and_store(const EventDraft& draft);  // takes mu_
  void prune_locked(int64_t now_ms);
  bool covers_locked(EventId after) const;

  const RetentionPolicy policy_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::mutex append_mu_;         // orders append callbacks; taken before mu_
  std::deque<EventPtr> events_;  // ids consecutive, oldest first
  EventId head_ = 0;
};

}  // namespace sse
