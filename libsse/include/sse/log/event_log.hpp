#pragma once

// The one ordered event log. Every published event is appended here first and
// gets its id here; a reconnecting client is replayed from here. Backends:
// memory (MemoryEventLog), SQLite (SqliteEventLog) and Redis (RedisEventLog,
// shared by several nodes) implement the same contract.

#include <functional>
#include <memory>
#include <vector>

#include "sse/event/event.hpp"
#include "sse/util/result.hpp"

namespace sse {

using EventFilter = std::function<bool(const Event&)>;

// Called once per append, when the event is durable (or failed). Calls come
// in id order, one at a time, so a callback that routes the event delivers
// every stream's events in order. A callback must not append.
using AppendCallback = std::function<void(Result<EventPtr>)>;

// A shared log's feed: every event any node appended, once each, in id order.
using FeedCallback = std::function<void(const EventPtr&)>;

struct ReplayPage {
  std::vector<EventPtr> events;  // accepted by the filter, in id order
  EventId next_after = 0;        // resume the scan after this id
  bool finished = true;          // the scan reached `up_to`
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Assigns the next id (strictly greater than every earlier one, also across
  // restarts for durable backends), seals the draft, stores it and then calls
  // `done` — on this thread or on the log's own writer thread. Durable
  // backends may batch appends into one commit. Thread-safe.
  virtual void append(const EventDraft& draft, AppendCallback done) = 0;
  // Every append calls `done` before it returns, on the caller's thread.
  virtual bool appends_inline() const { return false; }

  // Scans the events with after < id <= up_to, oldest first, and returns at
  // most `max_events` of them that `filter` accepts. Large replays go page by
  // page so that no reader holds the whole history. Thread-safe; never blocks
  // appends for longer than a copy of pointers or one read transaction.
  // Fails only when the storage cannot be read: io_error, or unavailable
  // when it is away for now (a shared log's server) and a later call may
  // succeed. Never throws.
  virtual Result<ReplayPage> replay(EventId after, EventId up_to, const EventFilter& filter,
                                    size_t max_events) const = 0;

  // Whether every event after `after` is still held (a replay from there would
  // be complete). False for an id this log never gave out.
  virtual bool covers(EventId after) const = 0;

  // The id of the newest durable event; 0 when none was ever appended.
  // A shared log answers from what this node has seen (it may lag).
  virtual EventId head() const = 0;
  // The newest id the log has given out, asked of the storage itself: for a
  // shared log, any node's; unavailable when the storage cannot be reached.
  virtual Result<EventId> newest_id() const { return head(); }

  // Number of events held now.
  virtual size_t size() const = 0;

  // A log that several nodes share (Redis): the events of every node reach
  // this one through the feed, and append()'s callback only acknowledges
  // (the event is stored; routing it is the feed's job, so that each event
  // is routed once, in id order, whichever node appended it).
  virtual bool shared() const { return false; }
  // Shared logs: from now on, every event with an id above head() (as it is
  // at this call) reaches `on_event` once, in id order, on the log's reader
  // thread, this node's own appends included. Called at most once.
  virtual void start_feed(FeedCallback on_event) { (void)on_event; }
  // Ends the feed: `on_event` is not running and is not called after this
  // returns. Idempotent.
  virtual void stop_feed() {}

  // Whether the storage behind the log can be reached now (false while a
  // Redis server is away), and how often it was reconnected to.
  virtual bool available() const { return true; }
  virtual uint64_t reconnects() const { return 0; }
};

// Appends and waits for the outcome; for callers that publish one event at a
// time (tests, tools).
Result<EventPtr> append_and_wait(EventLog& log, const EventDraft& draft);

}  // namespace sse
