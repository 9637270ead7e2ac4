#pragma once

// Publishes on a shared log (Redis), between the log's acknowledgement and
// the feed's routing. The node that appended an event routes it only when
// its feed brings it back, in id order with every other node's events; the
// publisher is answered then, with how many of this node's streams it
// reached, so a 202 still means what it means with a local log: every stream
// of this node that was open before the publish has the event queued.
//
// Thread-safe. Its lock is a leaf: callbacks run after it is released.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "sse/event/event.hpp"

namespace sse::detail {

class FeedAcks {
 public:
  // Called with the number of this node's streams the event reached.
  using Done = std::function<void(EventPtr event, size_t delivered)>;

  explicit FeedAcks(EventId routed) : routed_(routed) {}

  // The log has stored `event`: `done` runs when the feed has routed it, or
  // now if it already has.
  void acknowledged(EventPtr event, Done done);
  // The feed routed `id` to `delivered` streams. Also answers the waiters
  // below it (ids the feed will not bring: trimmed before it read them).
  void routed(EventId id, size_t delivered);
  // Waits until the feed has routed `id`; false after `timeout_ms`.
  bool wait_routed(EventId id, int64_t timeout_ms);
  // The feed has stopped: answers every waiter with 0 delivered, and every
  // later acknowledgement at once.
  void flush();

 private:
  struct Waiter {
    EventPtr event;
    Done done;
  };
  using Ready = std::vector<std::pair<Waiter, size_t>>;
  static void run(Ready& ready);

  static constexpr size_t kRemembered = 4096;  // recently routed ids, with their counts
  std::mutex mu_;
  std::condition_variable routed_cv_;
  EventId routed_;
  bool flushed_ = false;
  std::map<EventId, Waiter> waiting_;
  std::deque<std::pair<EventId, size_t>> recent_;  // ascending ids
};

}  // namespace sse::detail
