#pragma once

// The data payload of every event the server makes, one function each, so
// that an event has one shape wherever it is made (an endpoint, the hub's
// presence events, the writer loop's heartbeats, the shutdown farewell).
// Every payload is one line of JSON; timestamps are ISO-8601 UTC with
// milliseconds. docs/api.md shows each one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sse/event/event.hpp"

namespace sse {

// notifications: {id, title, message, type, timestamp, userId}. `event` is
// api::notification_event_for(type); an empty `recipient` (system
// notifications) goes to every user and is written as userId null.
EventDraft notification_event(std::string_view event, std::string title, std::string message,
                              std::string type, std::string recipient);

// realtime: {entityType, entityId, action, data, timestamp}; `action` is the
// event name, `data_json` one line of JSON (null when absent).
EventDraft realtime_event(std::string_view action, std::string entity_type, std::string entity_id,
                          std::string data_json);

struct ChatAuthor {
  std::string user_id;
  std::string username;
};

// chat: {id, roomId, userId, username, message, timestamp}.
std::string chat_payload(EventId id, std::string_view room, const ChatAuthor& author,
                         std::string_view message, int64_t time_ms);

// A draft for a chat-stream event of `type` ("message", "typing",
// "user-joined", "user-left") in `room`.
EventDraft chat_event(std::string_view type, std::string room, ChatAuthor author,
                      std::string message);

// status, maintenance: {id, message, reason, startsAt, durationSeconds,
// timestamp}; POST /system/maintenance makes reason "scheduled".
struct MaintenanceNotice {
  std::string message;
  std::optional<int64_t> starts_at_ms;  // null when absent
  std::optional<int64_t> duration_seconds;
};
EventDraft maintenance_event(MaintenanceNotice notice);

// The frame every stream gets at shutdown: a maintenance event with reason
// "shutdown" and no id (it is not in the log and must not move a client's
// Last-Event-ID).
std::string farewell_frame(int64_t now_ms);

// The heartbeat frame: event "heartbeat", data {timestamp}, no id.
std::string heartbeat_frame(int64_t now_ms);

}  // namespace sse
