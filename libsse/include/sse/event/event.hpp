#pragma once

// The event model: what the log stores and the hub routes. An Event is
// immutable once the log has appended it; its SSE wire bytes are encoded once
// then and shared by every stream it reaches.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sse/util/result.hpp"

namespace sse {

using EventId = uint64_t;

// The four channels: each has its stream endpoint (docs/api.md, "Streams").
enum class Channel : uint8_t { kNotifications = 0, kRealtime = 1, kChat = 2, kStatus = 3 };
inline constexpr size_t kChannelCount = 4;

// "notifications", "realtime", "chat", "status": the names used in metrics,
// the admin API and ssectl.
std::string_view channel_name(Channel channel);
std::optional<Channel> parse_channel(std::string_view name);
// The four names, in the order of the enum.
std::vector<std::string> channel_names();

// Who may see an event besides the subscribers of its channel.
struct Audience {
  std::string user_id;      // notifications: the one recipient; empty = every user
  std::string room;         // chat: the room the event belongs to
  std::string entity_type;  // realtime: the entity type, for stream filters
};

struct Event {
  EventId id = 0;
  Channel channel = Channel::kStatus;
  std::string type;  // the SSE event name
  std::string data;  // one line of JSON
  Audience audience;
  int64_t time_ms = 0;  // when the log appended it (Unix ms)
  std::string wire;     // "id: …\nevent: …\ndata: …\n\n"
};
using EventPtr = std::shared_ptr<const Event>;

// What a publisher hands to the hub: everything but the id and the time,
// which the log assigns. `render_data` builds the JSON payload once they are
// known (payloads carry both); it must return one line of JSON. It runs inside
// EventLog::append — under the memory log's lock, or on the SQLite log's
// writer thread where a slow render delays every commit — so it must be quick
// and must not call into the log or the hub.
struct EventDraft {
  Channel channel = Channel::kStatus;
  std::string type;
  Audience audience;
  std::function<std::string(EventId id, int64_t time_ms)> render_data;
};

// Seals a draft into an immutable event: renders the payload and encodes the
// wire bytes. Fails when the type or payload cannot go on the wire
// (invalid_argument) or render_data throws (internal).
Result<EventPtr> seal_event(const EventDraft& draft, EventId id, int64_t time_ms);

// Rebuilds an event read back from storage (payload already rendered).
Result<EventPtr> restore_event(EventId id, Channel channel, std::string type, std::string data,
                               Audience audience, int64_t time_ms);

}  // namespace sse
