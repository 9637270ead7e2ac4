#pragma once

// The one ordered event log. Every published event is appended here first and
// gets its id here; a reconnecting client is replayed from here. Backends:
// memory (MemoryEventLog), SQLite and Redis implement the same contract.

#include <functional>
#include <memory>
#include <vector>

#include "sse/event/event.hpp"
#include "sse/util/result.hpp"

namespace sse {

using EventFilter = std::function<bool(const Event&)>;

struct ReplayResult {
  std::vector<EventPtr> events;  // in id order
  // False when events after `after` were already pruned (or `after` is not an
  // id this log ever gave out): the client may have lost events.
  bool complete = true;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Assigns the next id (strictly greater than every earlier one, also across
  // restarts for durable backends), seals the draft and stores it. The event
  // is durable, as far as the backend is, when this returns. Thread-safe.
  virtual Result<EventPtr> append(const EventDraft& draft) = 0;

  // The events with after < id <= up_to that `filter` accepts, oldest first.
  // Thread-safe; does not block appends for longer than a copy of pointers.
  virtual ReplayResult replay(EventId after, EventId up_to, const EventFilter& filter) const = 0;

  // Whether every event after `after` is still held (a replay would be
  // complete). Cheap; used to answer before a stream's headers go out.
  virtual bool covers(EventId after) const = 0;

  // The id of the newest event, 0 when none was ever appended.
  virtual EventId head() const = 0;

  // Number of events held now.
  virtual size_t size() const = 0;
};

}  // namespace sse
