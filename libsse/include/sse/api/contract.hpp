#pragma once

// The HTTP API's names, in one place for the server and ssectl alike: paths,
// query parameters and headers, request body fields, the event names of each
// channel and the rule for room and entity-type names. docs/api.md describes
// what each one means; the payload shapes are in sse/event/payloads.hpp.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sse/event/event.hpp"

namespace sse::api {

// --- Streams: GET, text/event-stream -----------------------------------------

// "/notifications/stream", "/realtime/stream", "/chat/stream",
// "/system/status/stream".
std::string_view stream_path(Channel channel);
// Whether opening the channel's stream needs a token (status is public).
bool stream_needs_token(Channel channel);

inline constexpr std::string_view kRoomParam = "room";              // chat: one room
inline constexpr std::string_view kEntityTypeParam = "entityType";  // realtime: one type
inline constexpr std::string_view kTokenParam = "token";            // for EventSource
inline constexpr std::string_view kLastEventIdParam = "lastEventId";
inline constexpr std::string_view kLastEventIdHeader = "Last-Event-ID";
// On a resumed stream: "complete", or "incomplete" when events were pruned.
inline constexpr std::string_view kReplayHeader = "X-SSE-Replay";

// --- Publishing: POST, application/json, answered 202 {id, delivered} --------

inline constexpr std::string_view kNotifyPath = "/notifications/send";
inline constexpr std::string_view kRealtimeUpdatePath = "/realtime/update";
inline constexpr std::string_view kChatSendPath = "/chat/send";
inline constexpr std::string_view kChatTypingPath = "/chat/typing";
inline constexpr std::string_view kMaintenancePath = "/system/maintenance";

// Request body fields.
namespace field {
inline constexpr const char* kTitle = "title";
inline constexpr const char* kMessage = "message";
inline constexpr const char* kType = "type";  // notification type
inline constexpr const char* kUserId = "userId";
inline constexpr const char* kEntityType = "entityType";
inline constexpr const char* kEntityId = "entityId";
inline constexpr const char* kAction = "action";
inline constexpr const char* kData = "data";
inline constexpr const char* kRoomId = "roomId";
inline constexpr const char* kStartsAt = "startsAt";
inline constexpr const char* kDurationSeconds = "durationSeconds";
}  // namespace field

// --- Operations --------------------------------------------------------------

inline constexpr std::string_view kHealthPath = "/health";
inline constexpr std::string_view kReadyPath = "/ready";
inline constexpr std::string_view kMetricsPath = "/metrics";
inline constexpr std::string_view kStatusPath = "/system/status";
// GET lists the open streams (filtered by ?user= and ?stream=, a channel
// name); DELETE kConnectionsPath + "/" + id closes one. Admin only.
inline constexpr std::string_view kConnectionsPath = "/admin/connections";
inline constexpr std::string_view kUserParam = "user";
inline constexpr std::string_view kChannelFilterParam = "stream";

// --- Event names (the SSE "event:" field) ------------------------------------

namespace event {
inline constexpr std::string_view kNotification = "notification";               // info, success
inline constexpr std::string_view kErrorNotification = "error-notification";    // warning, error
inline constexpr std::string_view kSystemNotification = "system-notification";  // system
inline constexpr std::string_view kCreate = "create";
inline constexpr std::string_view kUpdate = "update";
inline constexpr std::string_view kDelete = "delete";
inline constexpr std::string_view kStatusChange = "status-change";
inline constexpr std::string_view kMessage = "message";
inline constexpr std::string_view kTyping = "typing";
inline constexpr std::string_view kUserJoined = "user-joined";
inline constexpr std::string_view kUserLeft = "user-left";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kMaintenance = "maintenance";
// Sent on every stream, without an id, every limits.heartbeat_interval.
inline constexpr std::string_view kHeartbeat = "heartbeat";
}  // namespace event

// The event names a channel's stream can carry (heartbeat included).
std::span<const std::string_view> event_names(Channel channel);

// The notification types of POST /notifications/send, and the event each
// makes: info and success -> notification, warning and error ->
// error-notification, system -> system-notification. nullopt: not a type.
inline constexpr std::string_view kNotificationTypes = "info, success, warning, error, system";
std::optional<std::string_view> notification_event_for(std::string_view type);

// The action of POST /realtime/update and its event; the past tense is
// accepted too ("created"), and status_change / statusChange / status-changed.
inline constexpr std::string_view kRealtimeActions = "create, update, delete or status-change";
std::optional<std::string_view> realtime_event_for(std::string_view action);

// --- Names of rooms and entity types -----------------------------------------

inline constexpr std::string_view kNameRule = "[A-Za-z0-9_.-]{1,64}";
// True for a room or entity-type name of 1..64 characters from [A-Za-z0-9_.-].
bool is_valid_name(std::string_view name);
// "field 'roomId' must match [A-Za-z0-9_.-]{1,64}" for what = "field 'roomId'".
std::string name_rule_message(std::string_view what);

}  // namespace sse::api

namespace sse {
// The chat room rule, under the name the config code uses.
inline bool is_valid_room_name(std::string_view room) { return api::is_valid_name(room); }
}  // namespace sse
