#pragma once

// Markers: an event a test publishes after something that must not reach a
// stream, to show that it did not, without sleeping. The server sends each
// stream's events in id order, so once the marker has arrived
// (SseClient::wait_for_id), anything published before it has arrived too.
// Each marker REQUIREs its 202 and returns the id of its event; the text
// "marker" is in its message (or title, or entityType).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sse/util/json.hpp"
#include "support/http.hpp"
#include "support/process.hpp"

namespace e2e {

inline std::string marker_id(const HttpResponse& published) {
  INFO(published.body);
  REQUIRE(published.status == 202);
  return json_string(published.body, "id");
}

// A chat "message" in `room`, sent by the demo admin (who may use any room).
inline std::string mark_chat(int port, const std::string& room) {
  return marker_id(post_json(port, "/chat/send", kDemoToken,
                             R"({"roomId":")" + room + R"(","message":"marker"})"));
}

// A "notification" from the demo admin to `user_id` alone.
inline std::string mark_notification(int port, const std::string& user_id) {
  return marker_id(post_json(
      port, "/notifications/send", kDemoToken,
      R"({"title":"marker","message":"marker","userId":)" + sse::json_quote(user_id) + "}"));
}

// A realtime "update" of an entity of `entity_type`.
inline std::string mark_realtime(int port, const std::string& entity_type = "marker") {
  return marker_id(post_json(port, "/realtime/update", kDemoToken,
                             R"({"entityType":")" + entity_type +
                                 R"(","entityId":"marker","action":"update","data":null})"));
}

// A "maintenance" event on the status stream.
inline std::string mark_status(int port) {
  return marker_id(post_json(port, "/system/maintenance", kDemoToken, R"({"message":"marker"})"));
}

// The events that came before events()[at], heartbeats left out.
inline std::vector<sse::wire::ParsedEvent> events_before(const SseClient& stream, size_t at) {
  std::vector<sse::wire::ParsedEvent> before;
  for (size_t i = 0; i < at && i < stream.events().size(); ++i) {
    if (stream.events()[i].type != "heartbeat") before.push_back(stream.events()[i]);
  }
  return before;
}

// The types of those events, in order.
inline std::vector<std::string> types_before(const SseClient& stream, size_t at) {
  std::vector<std::string> types;
  for (const auto& e : events_before(stream, at)) types.push_back(e.type);
  return types;
}

}  // namespace e2e
