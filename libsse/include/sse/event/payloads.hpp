#pragma once

// Payloads shared by more than one publisher (the chat endpoints and the
// hub's presence events), so that every chat event has one shape.

#include <string>
#include <string_view>

#include "sse/event/event.hpp"

namespace sse {

struct ChatAuthor {
  std::string user_id;
  std::string username;
};

// {id, roomId, userId, username, message, timestamp}, one line of JSON.
std::string chat_payload(EventId id, std::string_view room, const ChatAuthor& author,
                         std::string_view message, int64_t time_ms);

// A draft for a chat-stream event of `type` ("message", "typing",
// "user-joined", "user-left") in `room`.
EventDraft chat_event(std::string type, std::string room, ChatAuthor author, std::string message);

}  // namespace sse
