#include "sse/event/payloads.hpp"

#include <fmt/format.h>

#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {

std::string chat_payload(EventId id, std::string_view room, const ChatAuthor& author,
                         std::string_view message, int64_t time_ms) {
  return fmt::format(
      R"({{"id":"{}","roomId":{},"userId":{},"username":{},"message":{},"timestamp":"{}"}})", id,
      json_quote(room), json_quote(author.user_id), json_quote(author.username),
      json_quote(message), format_iso8601_ms(time_ms));
}

EventDraft chat_event(std::string type, std::string room, ChatAuthor author, std::string message) {
  EventDraft draft;
  draft.channel = Channel::kChat;
  draft.type = std::move(type);
  draft.audience.room = room;
  draft.render_data = [room, author = std::move(author), message = std::move(message)](
                          EventId id, int64_t time_ms) {
    return chat_payload(id, room, author, message, time_ms);
  };
  return draft;
}

}  // namespace sse
