#include "server/connections_view.hpp"

#include <fmt/format.h>

#include "sse/event/event.hpp"
#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {

std::string connection_json(const StreamSnapshot& s, uint32_t node) {
  return fmt::format(
      R"({{"id":"{}","userId":{},"username":{},"stream":"{}","room":{},"remoteAddress":{},"connectedAt":"{}","lastEventId":"{}","eventsSent":{},"bytesSent":{},"queued":{},"queuedBytes":{}{}}})",
      s.id, json_quote(s.owner.user_id), json_quote(s.owner.username), channel_name(s.channel),
      s.room.empty() ? "null" : json_quote(s.room), json_quote(s.owner.remote_address),
      format_iso8601_ms(s.connected_at_ms), s.last_event_id, s.events_sent, s.bytes_sent, s.queued,
      s.queued_bytes, node == 0 ? std::string() : fmt::format(R"(,"node":{})", node));
}

std::string connections_json(const std::vector<StreamSnapshot>& streams, uint32_t node) {
  std::string out = "[";
  for (const StreamSnapshot& s : streams) {
    if (out.size() > 1) out += ',';
    out += connection_json(s, node);
  }
  out += ']';
  return out;
}

}  // namespace sse
