// The five POST endpoints. They share one pipeline (authenticate, rate-limit,
// read the JSON body, build a draft, publish, answer 202 {id, delivered}) and
// differ only by the function that turns a body into an event draft.

#include <fmt/format.h>

#include "sse/config/config.hpp"
#include "sse/event/payloads.hpp"
#include "server/json_body.hpp"
#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

using Draft = Result<EventDraft, ApiError>;
using Builder = Draft (*)(FieldReader&, const Identity&, const ServerContext&);

std::string q(std::string_view text) { return json_quote(text); }

// POST /notifications/send {title, message, type?, userId?}
Draft build_notification(FieldReader& fields, const Identity& who, const ServerContext&) {
  const std::string title = fields.required_string("title", 1000);
  const std::string message = fields.required_string("message");
  const std::string kind = fields.optional_string("type", 32).value_or("info");
  const std::optional<std::string> user = fields.optional_string("userId", 256);
  if (fields.failed()) return *fields.error();

  EventDraft draft;
  draft.channel = Channel::kNotifications;
  if (kind == "info" || kind == "success") {
    draft.type = "notification";
  } else if (kind == "warning" || kind == "error") {
    draft.type = "error-notification";
  } else if (kind == "system") {
    if (!who.is_admin()) return forbidden("type 'system' (to everyone) needs the admin role");
    draft.type = "system-notification";
  } else {
    return bad_request(fmt::format(
        "field 'type' must be one of info, success, warning, error, system (got '{}')", kind));
  }
  std::string recipient;
  if (kind != "system") {
    recipient = user.value_or(who.user_id);
    if (recipient != who.user_id && !who.is_admin()) {
      return forbidden("notifying another user needs the admin role");
    }
  }
  draft.audience.user_id = recipient;
  draft.render_data = [title, message, kind, recipient](EventId id, int64_t t) {
    return fmt::format(
        R"({{"id":"{}","title":{},"message":{},"type":{},"timestamp":"{}","userId":{}}})", id,
        q(title), q(message), q(kind), format_iso8601_ms(t),
        recipient.empty() ? std::string("null") : q(recipient));
  };
  return draft;
}

// "created" and "create" both mean the create event (the seed reference uses
// the past tense in its example).
std::optional<std::string> realtime_event_for(const std::string& action) {
  if (action == "create" || action == "created") return "create";
  if (action == "update" || action == "updated") return "update";
  if (action == "delete" || action == "deleted") return "delete";
  if (action == "status-change" || action == "status_change" || action == "statusChange" ||
      action == "status-changed") {
    return "status-change";
  }
  return std::nullopt;
}

// POST /realtime/update {entityType, entityId, action, data}
Draft build_realtime(FieldReader& fields, const Identity&, const ServerContext&) {
  const std::string entity_type = fields.required_string("entityType", 64);
  const std::string action = fields.required_string("action", 32);
  if (!fields.failed() && !is_valid_room_name(entity_type)) {
    fields.fail(bad_request("field 'entityType' must match [A-Za-z0-9_.-]{1,64}"));
  }
  const std::string entity_id = fields.required_id("entityId", 256);
  if (fields.failed()) return *fields.error();
  auto event = realtime_event_for(action);
  if (!event) {
    return bad_request(fmt::format(
        "field 'action' must be create, update, delete or status-change (got '{}')", action));
  }
  EventDraft draft;
  draft.channel = Channel::kRealtime;
  draft.type = *event;
  draft.audience.entity_type = entity_type;
  draft.render_data = [entity_type, entity_id, event = *event,
                       data = fields.json_text("data")](EventId, int64_t t) {
    return fmt::format(
        R"({{"entityType":{},"entityId":{},"action":{},"data":{},"timestamp":"{}"}})",
        q(entity_type), q(entity_id), q(event), data, format_iso8601_ms(t));
  };
  return draft;
}

// The roomId of a chat body: a valid name of a room the caller may enter.
std::string room_for(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  std::string room = fields.required_string("roomId", 64);
  if (fields.failed()) return room;
  if (!is_valid_room_name(room)) {
    fields.fail(bad_request("field 'roomId' must match [A-Za-z0-9_.-]{1,64}"));
  } else if (!ctx.rooms->may_enter(room, who.roles)) {
    fields.fail(forbidden(fmt::format("room '{}' is private", room)));
  }
  return room;
}

// POST /chat/send {roomId, message}
Draft build_chat_message(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  const std::string room = room_for(fields, who, ctx);
  const std::string message = fields.required_string("message");
  if (fields.failed()) return *fields.error();
  return chat_event("message", room, {who.user_id, who.username}, message);
}

// POST /chat/typing {roomId}
Draft build_typing(FieldReader& fields, const Identity& who, const ServerContext& ctx) {
  const std::string room = room_for(fields, who, ctx);
  if (fields.failed()) return *fields.error();
  return chat_event("typing", room, {who.user_id, who.username}, "");
}

// POST /system/maintenance {message, startsAt?, durationSeconds?} (admin)
Draft build_maintenance(FieldReader& fields, const Identity& who, const ServerContext&) {
  if (!who.is_admin()) return forbidden("announcing maintenance needs the admin role");
  const std::string message = fields.required_string("message");
  const std::optional<std::string> starts_at = fields.optional_string("startsAt", 64);
  const std::optional<int64_t> duration = fields.optional_non_negative_integer("durationSeconds");
  if (fields.failed()) return *fields.error();
  std::string starts = "null";
  if (starts_at) {
    auto parsed = parse_iso8601_ms(*starts_at);
    if (!parsed)
      return bad_request("field 'startsAt' must be an ISO-8601 time such as 2026-01-31T22:00:00Z");
    starts = q(format_iso8601_ms(*parsed));
  }
  const std::string seconds = duration ? std::to_string(*duration) : "null";
  EventDraft draft;
  draft.channel = Channel::kStatus;
  draft.type = "maintenance";
  draft.render_data = [message, starts, seconds](EventId id, int64_t t) {
    return fmt::format(
        R"({{"id":"{}","message":{},"reason":"scheduled","startsAt":{},"durationSeconds":{},"timestamp":"{}"}})",
        id, q(message), starts, seconds, format_iso8601_ms(t));
  };
  return draft;
}

void publish(Exchange& ex, Builder build) {
  ServerContext& ctx = ex.context();
  auto who = ex.authenticate();
  if (!who) return ex.send_error(who.error());
  const RateDecision rate = ctx.publish_rate.try_acquire(who->user_id);
  if (!rate.allowed) {
    return ex.send_error(too_many(Rejection::kRateLimited, "publishing too fast; slow down",
                                  (rate.retry_after_ms + 999) / 1000));
  }
  auto body =
      read_json_object(ex, ctx.config.limits.max_body_bytes, ctx.config.server.request_timeout);
  if (!body) return ex.send_error(body.error());
  FieldReader fields(**body);
  auto draft = build(fields, *who, ctx);
  if (!draft) return ex.send_error(draft.error());
  auto published = ctx.hub->publish(*draft);
  if (!published) return ex.send_error(api_error_for(published.error()));
  ex.send_json(202, fmt::format(R"({{"id":"{}","delivered":{}}})", published->event->id,
                                published->delivered));
}

struct PublishEndpoint {
  const char* path;
  Builder build;
};

constexpr PublishEndpoint kPublishEndpoints[] = {
    {"/notifications/send", build_notification}, {"/realtime/update", build_realtime},
    {"/chat/send", build_chat_message},          {"/chat/typing", build_typing},
    {"/system/maintenance", build_maintenance},
};

}  // namespace

void add_publish_routes(RouteTable& routes) {
  for (const PublishEndpoint& endpoint : kPublishEndpoints) {
    routes.push_back(
        {"POST", endpoint.path, [build = endpoint.build](Exchange& ex) { publish(ex, build); }});
  }
}

}  // namespace sse
