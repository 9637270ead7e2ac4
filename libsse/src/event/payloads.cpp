#include "sse/event/payloads.hpp"

#include <fmt/format.h>

#include "sse/api/contract.hpp"
#include "sse/util/json.hpp"
#include "sse/util/parse.hpp"
#include "sse/util/time_format.hpp"
#include "sse/wire/encoder.hpp"

namespace sse {
namespace {

std::string q(std::string_view text) { return json_quote(text); }

// A payload written piece by piece: these run once per published event, and
// a format string costs more than the appends.
class PayloadWriter {
 public:
  static constexpr size_t kShortName = 32;  // "durationSeconds" is the longest

  explicit PayloadWriter(size_t expected) { out_.reserve(expected + 96); }
  // `,"name":` (the first without the comma, after the opening brace), in
  // one append when the name is short, as the payloads' own names all are.
  PayloadWriter& key(std::string_view name) {
    const char separator = out_.empty() ? '{' : ',';
    if (name.size() > kShortName) {
      out_.push_back(separator);
      out_.push_back('"');
      out_.append(name);
      out_.append("\":");
      return *this;
    }
    char piece[kShortName + 4];
    piece[0] = separator;
    piece[1] = '"';
    name.copy(piece + 2, name.size());
    piece[name.size() + 2] = '"';
    piece[name.size() + 3] = ':';
    out_.append(piece, name.size() + 4);
    return *this;
  }
  PayloadWriter& string(std::string_view name, std::string_view value) {
    key(name);
    append_json_quoted(out_, value);
    return *this;
  }
  PayloadWriter& raw(std::string_view name, std::string_view json) {
    key(name).out_.append(json);
    return *this;
  }
  PayloadWriter& id(EventId id) {
    key("id").out_.push_back('"');
    append_uint64(out_, id);
    out_.push_back('"');
    return *this;
  }
  PayloadWriter& timestamp(int64_t time_ms) {
    key("timestamp").out_.push_back('"');
    append_iso8601_ms(out_, time_ms);
    out_.push_back('"');
    return *this;
  }
  std::string done() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  std::string out_;
};

std::string maintenance_payload(std::string_view id_json, const MaintenanceNotice& notice,
                                std::string_view reason, int64_t time_ms) {
  const std::string starts =
      notice.starts_at_ms ? q(format_iso8601_ms(*notice.starts_at_ms)) : "null";
  const std::string duration =
      notice.duration_seconds ? std::to_string(*notice.duration_seconds) : "null";
  return fmt::format(
      R"({{"id":{},"message":{},"reason":{},"startsAt":{},"durationSeconds":{},"timestamp":"{}"}})",
      id_json, q(notice.message), q(reason), starts, duration, format_iso8601_ms(time_ms));
}

// An event frame that is not in the log: no id.
std::string frame_without_id(std::string_view type, const std::string& data) {
  std::string out;
  (void)wire::append_event(out, {"", std::string(type), data});
  return out;
}

}  // namespace

EventDraft notification_event(std::string_view event, std::string title, std::string message,
                              std::string type, std::string recipient) {
  EventDraft draft;
  draft.channel = Channel::kNotifications;
  draft.type = std::string(event);
  draft.audience.user_id = recipient;
  draft.render_data = [title = std::move(title), message = std::move(message),
                       type = std::move(type), recipient](EventId id, int64_t time_ms) {
    PayloadWriter out(title.size() + message.size() + recipient.size());
    out.id(id).string("title", title).string("message", message).string("type", type);
    out.timestamp(time_ms);
    if (recipient.empty()) {
      out.raw("userId", "null");
    } else {
      out.string("userId", recipient);
    }
    return out.done();
  };
  return draft;
}

EventDraft realtime_event(std::string_view action, std::string entity_type, std::string entity_id,
                          std::string data_json) {
  EventDraft draft;
  draft.channel = Channel::kRealtime;
  draft.type = std::string(action);
  draft.audience.entity_type = entity_type;
  draft.render_data = [entity_type = std::move(entity_type), entity_id = std::move(entity_id),
                       action = draft.type, data = std::move(data_json)](EventId, int64_t time_ms) {
    PayloadWriter out(entity_type.size() + entity_id.size() + data.size());
    out.string("entityType", entity_type).string("entityId", entity_id).string("action", action);
    return out.raw("data", data).timestamp(time_ms).done();
  };
  return draft;
}

std::string chat_payload(EventId id, std::string_view room, const ChatAuthor& author,
                         std::string_view message, int64_t time_ms) {
  PayloadWriter out(room.size() + author.user_id.size() + author.username.size() + message.size());
  out.id(id).string("roomId", room).string("userId", author.user_id);
  out.string("username", author.username).string("message", message);
  return out.timestamp(time_ms).done();
}

EventDraft chat_event(std::string_view type, std::string room, ChatAuthor author,
                      std::string message) {
  EventDraft draft;
  draft.channel = Channel::kChat;
  draft.type = std::string(type);
  draft.audience.room = room;
  draft.render_data = [room, author = std::move(author), message = std::move(message)](
                          EventId id, int64_t time_ms) {
    return chat_payload(id, room, author, message, time_ms);
  };
  return draft;
}

EventDraft maintenance_event(MaintenanceNotice notice) {
  EventDraft draft;
  draft.channel = Channel::kStatus;
  draft.type = std::string(api::event::kMaintenance);
  draft.render_data = [notice = std::move(notice)](EventId id, int64_t time_ms) {
    return maintenance_payload(q(std::to_string(id)), notice, "scheduled", time_ms);
  };
  return draft;
}

std::string farewell_frame(int64_t now_ms) {
  const MaintenanceNotice notice{"the server is shutting down", std::nullopt, std::nullopt};
  return frame_without_id(api::event::kMaintenance,
                          maintenance_payload("null", notice, "shutdown", now_ms));
}

std::string heartbeat_frame(int64_t now_ms) {
  return frame_without_id(api::event::kHeartbeat,
                          fmt::format(R"({{"timestamp":"{}"}})", format_iso8601_ms(now_ms)));
}

}  // namespace sse
