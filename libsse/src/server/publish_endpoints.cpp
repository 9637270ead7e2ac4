// The five POST endpoints. They share one pipeline (authenticate, rate-limit,
// read the JSON body, build a draft, publish, answer 202 {id, delivered}) and
// differ only by the function that turns a body into an event draft.

#include <fmt/format.h>

#include "sse/config/config.hpp"
#include "sse/event/payloads.hpp"
#include "sse/server/json_body.hpp"
#include "sse/server/routes.hpp"
#include "sse/server/server_context.hpp"
#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

using Draft = Result<EventDraft, ApiError>;
using Builder = Draft (*)(const Poco::JSON::Object&, const Identity&, const ServerContext&);

// Unwraps a field result or returns its error from the enclosing builder.
#define SSE_TRY_FIELD(var, expr)                  \
  auto var##_result = (expr);                     \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(*var##_result)

std::string q(std::string_view text) { return json_quote(text); }

// POST /notifications/send {title, message, type?, userId?}
Draft build_notification(const Poco::JSON::Object& body, const Identity& who,
                         const ServerContext&) {
  SSE_TRY_FIELD(title, string_field(body, "title", true, 1000));
  SSE_TRY_FIELD(message, string_field(body, "message", true));
  SSE_TRY_FIELD(type, string_field(body, "type", false, 32));
  SSE_TRY_FIELD(user, string_field(body, "userId", false, 256));
  const std::string kind = type.value_or("info");

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
  draft.render_data = [title = *title, message = *message, kind, recipient](EventId id, int64_t t) {
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
Draft build_realtime(const Poco::JSON::Object& body, const Identity&, const ServerContext&) {
  SSE_TRY_FIELD(entity_type, string_field(body, "entityType", true, 64));
  SSE_TRY_FIELD(action, string_field(body, "action", true, 32));
  if (!is_valid_room_name(*entity_type)) {
    return bad_request("field 'entityType' must match [A-Za-z0-9_.-]{1,64}");
  }
  std::string entity_id;
  if (body.has("entityId") && !body.isNull("entityId") &&
      (body.get("entityId").isString() ||
       (body.get("entityId").isInteger() && !body.get("entityId").isBoolean()))) {
    entity_id = body.get("entityId").convert<std::string>();
  }
  if (entity_id.empty()) return bad_request("missing field 'entityId' (a string or an integer)");
  if (entity_id.size() > 256) return bad_request("field 'entityId' is longer than 256 bytes");
  auto event = realtime_event_for(*action);
  if (!event) {
    return bad_request(fmt::format(
        "field 'action' must be create, update, delete or status-change (got '{}')", *action));
  }
  EventDraft draft;
  draft.channel = Channel::kRealtime;
  draft.type = *event;
  draft.audience.entity_type = *entity_type;
  draft.render_data = [type = *entity_type, entity_id, event = *event,
                       data = json_field_text(body, "data")](EventId, int64_t t) {
    return fmt::format(
        R"({{"entityType":{},"entityId":{},"action":{},"data":{},"timestamp":"{}"}})", q(type),
        q(entity_id), q(event), data, format_iso8601_ms(t));
  };
  return draft;
}

Result<std::string, ApiError> room_for(const Poco::JSON::Object& body, const Identity& who,
                                       const ServerContext& ctx) {
  auto room = string_field(body, "roomId", true, 64);
  if (!room) return room.error();
  if (!is_valid_room_name(**room))
    return bad_request("field 'roomId' must match [A-Za-z0-9_.-]{1,64}");
  if (!ctx.rooms->may_enter(**room, who.roles)) {
    return forbidden(fmt::format("room '{}' is private", **room));
  }
  return **room;
}

// POST /chat/send {roomId, message}
Draft build_chat_message(const Poco::JSON::Object& body, const Identity& who,
                         const ServerContext& ctx) {
  SSE_TRY_FIELD(room, room_for(body, who, ctx));
  SSE_TRY_FIELD(message, string_field(body, "message", true));
  return chat_event("message", room, {who.user_id, who.username}, *message);
}

// POST /chat/typing {roomId}
Draft build_typing(const Poco::JSON::Object& body, const Identity& who, const ServerContext& ctx) {
  SSE_TRY_FIELD(room, room_for(body, who, ctx));
  return chat_event("typing", room, {who.user_id, who.username}, "");
}

// POST /system/maintenance {message, startsAt?, durationSeconds?} (admin)
Draft build_maintenance(const Poco::JSON::Object& body, const Identity& who, const ServerContext&) {
  if (!who.is_admin()) return forbidden("announcing maintenance needs the admin role");
  SSE_TRY_FIELD(message, string_field(body, "message", true));
  SSE_TRY_FIELD(starts_at, string_field(body, "startsAt", false, 64));
  std::string starts = "null";
  if (starts_at) {
    auto parsed = parse_iso8601_ms(*starts_at);
    if (!parsed)
      return bad_request("field 'startsAt' must be an ISO-8601 time such as 2026-01-31T22:00:00Z");
    starts = q(format_iso8601_ms(*parsed));
  }
  std::string duration = "null";
  if (body.has("durationSeconds") && !body.isNull("durationSeconds")) {
    const auto value = body.get("durationSeconds");
    if (!value.isInteger() || value.convert<int64_t>() < 0) {
      return bad_request("field 'durationSeconds' must be a non-negative integer");
    }
    duration = std::to_string(value.convert<int64_t>());
  }
  EventDraft draft;
  draft.channel = Channel::kStatus;
  draft.type = "maintenance";
  draft.render_data = [message = *message, starts, duration](EventId id, int64_t t) {
    return fmt::format(
        R"({{"id":"{}","message":{},"reason":"scheduled","startsAt":{},"durationSeconds":{},"timestamp":"{}"}})",
        id, q(message), starts, duration, format_iso8601_ms(t));
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
  auto draft = build(**body, *who, ctx);
  if (!draft) return ex.send_error(draft.error());
  auto published = ctx.hub->publish(*draft);
  if (!published) {
    // Shutting down: come back (elsewhere) soon. Otherwise the log failed.
    if (!ctx.ready) {
      return ex.send_error({503, "unavailable", published.message(), 1, Rejection::kInternal});
    }
    return ex.send_error({500, "internal", published.message(), 0, Rejection::kInternal});
  }
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
