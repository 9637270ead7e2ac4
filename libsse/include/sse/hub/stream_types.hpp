#pragma once

// The plain data the hub keeps about a stream: who opened it, what it asked
// for, and what the admin API shows of it.

#include <cstdint>
#include <optional>
#include <string>

#include "sse/hub/subscription.hpp"
#include "sse/limits/connection_limiter.hpp"
#include "sse/stream/writer_loop.hpp"

namespace sse {

// Who is on a stream, for the admin API. Fixed when the stream opens.
struct StreamOwner {
  std::string user_id;
  std::string username;
  std::string remote_address;
};

// A stream about to open: admitted, its response not yet sent.
struct StreamRequest {
  Subscription subscription;
  StreamOwner owner;                    // owner.user_id is subscription.user_id
  ConnectionLimiter::Ticket ticket;     // its place under the connection limits
  std::optional<EventId> resume_after;  // Last-Event-ID
  int64_t expires_at_ms = 0;            // token expiry (wall clock), 0 = never
  std::string preamble;                 // "retry: …\n\n"
  // The writer loop (index, modulo the count) whose connection this is;
  // -1: the hub picks one in turn.
  int loop = -1;
};

// One open stream as the admin API shows it.
struct StreamSnapshot {
  StreamId id = 0;
  StreamOwner owner;
  Channel channel = Channel::kStatus;
  std::string room;
  int64_t connected_at_ms = 0;
  uint64_t last_event_id = 0;
  uint64_t events_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t queued = 0;
  uint64_t queued_bytes = 0;
};

}  // namespace sse
