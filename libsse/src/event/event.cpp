#include "sse/event/event.hpp"

#include <array>

#include <fmt/format.h>

#include "sse/wire/encoder.hpp"

namespace sse {
namespace {

constexpr std::array<std::string_view, kChannelCount> kChannelNames = {"notifications", "realtime",
                                                                       "chat", "status"};

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
  const std::string id_text = std::to_string(id);
  event->wire.reserve(event->data.size() + event->type.size() + 40);
  Status encoded = wire::append_event(event->wire, {id_text, event->type, event->data});
  if (!encoded) return encoded.error();
  return EventPtr(std::move(event));
}

Result<EventPtr> seal_event(const EventDraft& draft, EventId id, int64_t time_ms) {
  std::string data = "{}";
  try {
    if (draft.render_data) data = draft.render_data(id, time_ms);
  } catch (const std::exception& e) {
    return Error::internal(fmt::format("the event could not be rendered: {}", e.what()));
  }
  return restore_event(id, draft.channel, draft.type, std::move(data), draft.audience, time_ms);
}

}  // namespace sse
