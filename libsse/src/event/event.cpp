#include "sse/event/event.hpp"

#include <array>
#include <charconv>
#include <iterator>

#include <fmt/format.h>

#include "sse/wire/encoder.hpp"

namespace sse {
namespace {

constexpr std::array<std::string_view, kChannelCount> kChannelNames = {"notifications", "realtime",
                                                                       "chat", "status"};

// Encodes the wire bytes of an event whose other fields are set.
Result<EventPtr> with_wire(std::shared_ptr<Event> event) {
  char digits[20];  // 2^64 - 1 has 20
  const std::string_view id_text(digits,
                                 std::to_chars(digits, std::end(digits), event->id).ptr - digits);
  // append_event reserves the exact size: one allocation.
  Status encoded = wire::append_event(event->wire, {id_text, event->type, event->data});
  if (!encoded) return encoded.error();
  return EventPtr(std::move(event));
}

}  // namespace

std::string_view channel_name(Channel channel) {
  return kChannelNames[static_cast<size_t>(channel)];
}

std::vector<std::string> channel_names() { return {kChannelNames.begin(), kChannelNames.end()}; }

std::optional<Channel> parse_channel(std::string_view name) {
  for (size_t i = 0; i < kChannelNames.size(); ++i) {
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  }
  return std::nullopt;
}

Result<EventPtr> restore_event(EventId id, Channel channel, std::string type, std::string data,
                               Audience audience, int64_t time_ms) {
  auto event = std::make_shared<Event>();
  event->id = id;
  event->channel = channel;
  event->type = std::move(type);
  event->data = std::move(data);
  event->audience = std::move(audience);
  event->time_ms = time_ms;
  return with_wire(std::move(event));
}

Result<EventPtr> seal_event(const EventDraft& draft, EventId id, int64_t time_ms) {
  // Filled in place: the draft's fields are copied once, the payload not at all.
  auto event = std::make_shared<Event>();
  try {
    event->data = draft.render_data ? draft.render_data(id, time_ms) : "{}";
  } catch (const std::exception& e) {
    return Error::internal(fmt::format("the event could not be rendered: {}", e.what()));
  }
  event->id = id;
  event->channel = draft.channel;
  event->type = draft.type;
  event->audience = draft.audience;
  event->time_ms = time_ms;
  return with_wire(std::move(event));
}

}  // namespace sse
