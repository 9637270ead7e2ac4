#pragma once

// Helpers shared by the event log tests: drafts, and a filter by channel.

#include <string>

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

inline std::vector<EventId> ids_of(const ReplayPage& page) {
  std::vector<EventId> ids;
  for (const auto& e : page.events) ids.push_back(e->id);
  return ids;
}

}  // namespace sse::testing
