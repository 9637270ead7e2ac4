#pragma once

// Helpers shared by the event log tests: drafts, and a filter by channel.

#include <string>

#include <catch2/catch.hpp>

#include "sse/log/event_log.hpp"

namespace sse::testing {

inline EventDraft chat_draft(const std::string& room, const std::string& message) {
  EventDraft draft;
  draft.channel = Channel::kChat;
  draft.type = "message";
  draft.audience.room = room;
  draft.render_data = [message](EventId id, int64_t) {
    return "{\"id\":\"" + std::to_string(id) + "\",\"message\":\"" + message + "\"}";
  };
  return draft;
}

inline EventFilter room_filter(const std::string& room) {
  return [room](const Event& e) { return e.audience.room == room; };
}

// log.replay(), which must succeed.
inline ReplayPage replay_ok(const EventLog& log, EventId after, EventId up_to,
                            const EventFilter& filter, size_t max_events) {
  Result<ReplayPage> page = log.replay(after, up_to, filter, max_events);
  REQUIRE(page.ok());
  return std::move(page).value();
}

inline std::vector<EventId> ids_of(const ReplayPage& page) {
  std::vector<EventId> ids;
  for (const auto& e : page.events) ids.push_back(e->id);
  return ids;
}

}  // namespace sse::testing
