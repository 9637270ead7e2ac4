// The five POST endpoints. They share one pipeline (authenticate, rate-limit,
// read the JSON body, build a draft, publish, answer 202 {id, delivered}) and
// differ only by the function that turns a body into an event draft.

#include <charconv>
#include <iterator>

#include <fmt/format.h>

#include "server/json_body.hpp"
#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/api/contract.hpp"
#include "sse/event/payloads.hpp"
#include "sse/util/parse.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

using Draft = Result<EventDraft, ApiError>;
using Builder = Draft (*)(FieldReader&, const Identity&, const ServerContext&);

namespace f = api::field;

// POST /notifications/send {title, message, type?, userId?}
Draft build_notification(FieldReader& fields, const Identity& who, const ServerContext&) {
  std::string title = fields.required_string(f::kTitle, 1000);
  std::string message = fields.required_string(f::kMessage);
  std::string type = fields.optional_string(f::kType, 32).value_or("info");
  const std::optional<std::string> user = fields.optional_string(f::kUserId, 256);
  if (user && user->empty()) {
    // An empty recipient would be a broadcast: that is type "system" (admin only).
    fields.fail(bad_request(fmt::format("field '{}' must not be empty", f::kUserId)));
  }
  if (fields.failed()) return *fields.error();

  const std::optional<std::string_view> event = api::notification_event_for(type);
  if (!event) {
    return bad_request(fmt::format("field '{}' must be one of {} (got '{}')", f::kType,
                                   api::kNotificationTypes, type));
  }
  std::string recipient;
  if (*event == api::event::kSystemNotification) {
    if (!who.is_admin()) return forbidden("type 'system' (to everyone) needs the admin role");
  } else {
    recipient = user.value_or(who.user_id);
    if (recipient != who.user_id && !who.is_admin()) {
      return forbidden("notifying another user needs the admin role");
    }
  }
  return notification_event(*event, std::move(title), std::move(message), std::move(type),
                            std::move(recipient));
}

// POST /realtime/update {entityType, entityId, action, data}
Draft build_realtime(FieldReader& fields, const Identity&, const ServerContext&) {
  std::string entity_type = fields.required_string(f::kEntityType, 64);
  const std::string action = fields.required_string(f::kAction, 32);
  if (!fields.failed() && !api::is_valid_name(entity_type)) {
    fields.fail(bad_request(api::name_rule_message("field 'entityType'")));
  }
  std::string entity_id = fields.required_id(f::kEntityId, 256);
  if (fields.failed()) return *fields.error();
  const std::optional<std::string_view> event = api::realtime_event_for(action);
  if (!event) {
    return bad_request(
        fmt::format("field '{}' must be {} (got '{}')", f::kAction, api::kRealtimeActions, action));
  }
  return realtime_event(*event, std::move(entity_type), std::move(entity_id),
                        fields.json_text(f::kData));
}

// The roomId of a chat body: a valid name of a room the caller may enter.
std::string room_for(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  std::string room = fields.required_string(f::kRoomId, 64);
  if (fields.failed()) return room;
  if (!api::is_valid_name(room)) {
    fields.fail(bad_request(api::name_rule_message("field 'roomId'")));
  } else if (!ctx.rooms->may_enter(room, who.roles)) {
    fields.fail(forbidden(fmt::format("room '{}' is private", room)));
  }
  return room;
}

// POST /chat/send {roomId, message}
Draft build_chat_message(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  std::string room = room_for(fields, who, ctx);
  std::string message = fields.required_string(f::kMessage);
  if (fields.failed()) return *fields.error();
  return chat_event(api::event::kMessage, std::move(room), {who.user_id, who.username},
                    std::move(message));
}

// POST /chat/typing {roomId}
Draft build_typing(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  std::string room = room_for(fields, who, ctx);
  if (fields.failed()) return *fields.error();
  return chat_event(api::event::kTyping, std::move(room), {who.user_id, who.username}, "");
}

// POST /system/maintenance {message, startsAt?, durationSeconds?} (admin)
Draft build_maintenance(FieldReader& fields, const Identity& who, const ServerContext&) {
  if (!who.is_admin()) return forbidden("announcing maintenance needs the admin role");
  MaintenanceNotice notice;
  notice.message = fields.required_string(f::kMessage);
  const std::optional<std::string> starts_at = fields.optional_string(f::kStartsAt, 64);
  notice.duration_seconds = fields.optional_non_negative_integer(f::kDurationSeconds);
  if (fields.failed()) return *fields.error();
  if (starts_at) {
    notice.starts_at_ms = parse_iso8601_ms(*starts_at);
    if (!notice.starts_at_ms) {
      return bad_request(fmt::format(
          "field '{}' must be an ISO-8601 time such as 2026-01-31T22:00:00Z", f::kStartsAt));
    }
  }
  return maintenance_event(std::move(notice));
}

// 202's body, {"id":"<id>","delivered":<n>}, written on the stack: it is
// copied into the response at once.
class AcceptedBody {
 public:
  AcceptedBody(EventId id, size_t delivered) {
    append(R"({"id":")");
    append_number(id);
    append(R"(","delivered":)");
    append_number(delivered);
    append("}");
  }
  std::string_view text() const { return {text_, size_}; }

 private:
  void append(std::string_view piece) {
    piece.copy(text_ + size_, piece.size());
    size_ += piece.size();
  }
  void append_number(uint64_t value) {
    size_ = static_cast<size_t>(std::to_chars(text_ + size_, std::end(text_), value).ptr - text_);
  }

  // The punctuation (22 bytes) and two numbers of at most 20 digits.
  char text_[64];
  size_t size_ = 0;
};

void publish(Exchange& ex, Builder build) {
  ServerContext& ctx = ex.context();
  auto identity = ex.authenticate();
  if (!identity) return ex.send_error(identity.error());
  const Identity& who = **identity;
  // In a cluster the bucket is the cluster's (one Redis round trip).
  const RateDecision rate = ctx.cluster ? ctx.cluster->try_publish(who.user_id)
                                        : ctx.publish_rate.try_acquire(who.user_id);
  if (!rate.allowed) {
    return ex.send_error(too_many(Rejection::kRateLimited, "publishing too fast; slow down",
                                  (rate.retry_after_ms + 999) / 1000));
  }
  auto body = read_json_object(ex.header("Content-Type").value_or(""), ex.take_body());
  if (!body) return ex.send_error(body.error());
  FieldReader fields(*body);
  auto draft = build(fields, who, ctx);
  if (!draft) return ex.send_error(draft.error());
  // Answered when the log has the event (after the commit, for SQLite): no
  // thread waits for it meanwhile.
  auto answer = [ex = ex.defer()](Result<Hub::Published> published) {
    if (!published) return ex->send_error(api_error_for(published.error()));
    ex->send_json(202, AcceptedBody(published->event->id, published->delivered).text());
  };
  if (!ctx.hub->publish_async(*draft, std::move(answer))) {
    ex.send_error(api_error_for(Error::unavailable("the server is shutting down")));
  }
}

struct PublishEndpoint {
  std::string_view path;
  Builder build;
};

constexpr PublishEndpoint kPublishEndpoints[] = {
    {api::kNotifyPath, build_notification},     {api::kRealtimeUpdatePath, build_realtime},
    {api::kChatSendPath, build_chat_message},   {api::kChatTypingPath, build_typing},
    {api::kMaintenancePath, build_maintenance},
};

}  // namespace

void add_publish_routes(RouteTable& routes) {
  for (const PublishEndpoint& endpoint : kPublishEndpoints) {
    routes.push_back({"POST", std::string(endpoint.path),
                      [build = endpoint.build](Exchange& ex) { publish(ex, build); }});
  }
}

}  // namespace sse
