// The four SSE streams. Opening one is the same everywhere: authenticate,
// build the subscription, take a place under the connection limits, decide
// the replay, open it in the hub on the connection's own event loop (a
// PendingStream), and answer with the stream's head: the loop turns the
// connection into the stream (WriterLoop::adopt_stream). Every refusal
// happens before the first header byte.

#include <fmt/format.h>

#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/config/config.hpp"
#include "sse/util/parse.hpp"
#include "sse/wire/encoder.hpp"

namespace sse {
namespace {

struct StreamEndpoint {
  const char* path;
  Channel channel;
  bool needs_auth;
};

constexpr StreamEndpoint kStreamEndpoints[] = {
    {"/notifications/stream", Channel::kNotifications, true},
    {"/realtime/stream", Channel::kRealtime, true},
    {"/chat/stream", Channel::kChat, true},
    {"/system/status/stream", Channel::kStatus, false},
};

Result<Subscription, ApiError> subscription_for(Exchange& ex, const StreamEndpoint& endpoint,
                                                const Identity& who) {
  Subscription sub;
  sub.channel = endpoint.channel;
  sub.user_id = who.user_id;
  sub.roles = who.roles;
  sub.rooms = ex.context().rooms;
  if (endpoint.channel == Channel::kChat) {
    sub.room = ex.query("room").value_or("");
    if (!sub.room.empty()) {
      if (!is_valid_room_name(sub.room)) return bad_request("room must match [A-Za-z0-9_.-]{1,64}");
      if (!sub.rooms->may_enter(sub.room, who.roles)) {
        return forbidden(fmt::format("room '{}' is private", sub.room));
      }
    }
  }
  if (endpoint.channel == Channel::kRealtime) {
    sub.entity_type = ex.query("entityType").value_or("");
    if (!sub.entity_type.empty() && !is_valid_room_name(sub.entity_type)) {
      return bad_request("entityType must match [A-Za-z0-9_.-]{1,64}");
    }
  }
  return sub;
}

// Last-Event-ID from the header (what EventSource sends) or ?lastEventId=.
Result<std::optional<EventId>, ApiError> resume_point(Exchange& ex) {
  std::string text;
  if (auto header = ex.header("Last-Event-ID")) {
    text = std::string(*header);
  } else if (auto query = ex.query("lastEventId")) {
    text = *query;
  }
  if (text.empty()) return std::optional<EventId>{};
  const auto id = parse_uint64(text);
  if (!id) {
    return bad_request(fmt::format("Last-Event-ID must be an event id from this server (got '{}')",
                                   text.substr(0, 40)));
  }
  return std::optional<EventId>(id);
}

ApiError per_user_limit(const ServerContext& ctx) {
  return too_many(Rejection::kStreamLimitUser,
                  fmt::format("at most {} open streams per user; close one first",
                              ctx.config.limits.max_connections_per_user),
                  5);
}

// A place under this node's limits and, in a cluster, under the per-user
// limit counted across every node.
Result<ConnectionLimiter::Ticket, ApiError> admit(ServerContext& ctx, const Identity& who) {
  auto admission = ctx.limiter->admit(who.user_id);
  if (admission.ticket) {
    if (ctx.cluster && !who.user_id.empty() &&
        !ctx.cluster->admit(who.user_id, [&] { return ctx.limiter->open_for(who.user_id); })) {
      admission.ticket.reset();  // its place back, and the cluster told so
      ctx.cluster->changed();
      return per_user_limit(ctx);
    }
    return std::move(*admission.ticket);
  }
  if (admission.refusal == AdmissionRefusal::kPerUser) return per_user_limit(ctx);
  if (admission.refusal == AdmissionRefusal::kAnonymous) {
    return too_many(Rejection::kStreamLimitAnonymous,
                    fmt::format("at most {} open streams without a token; send one",
                                ctx.config.limits.max_anonymous_connections),
                    5);
  }
  return too_many(Rejection::kStreamLimitTotal, "the server has no room for more streams", 5);
}

void open_stream(Exchange& ex, const StreamEndpoint& endpoint) {
  ServerContext& ctx = ex.context();
  Identity who;
  // The status stream is open to anyone; with a token it counts as its
  // user's, not against limits.max_anonymous_connections.
  if (endpoint.needs_auth || ex.has_credentials()) {
    auto identity = ex.authenticate();
    if (!identity) return ex.send_error(identity.error());
    who = **identity;
  }
  auto sub = subscription_for(ex, endpoint, who);
  if (!sub) return ex.send_error(sub.error());
  auto resume = resume_point(ex);
  if (!resume) return ex.send_error(resume.error());
  auto ticket = admit(ctx, who);
  if (!ticket) return ex.send_error(ticket.error());

  StreamRequest request;
  request.subscription = std::move(*sub);
  request.owner = {who.user_id, who.username, ex.remote_address()};
  request.loop = static_cast<int>(ex.request().loop);
  request.ticket = std::move(*ticket);
  request.resume_after = *resume;
  request.expires_at_ms = who.expires_at_ms.value_or(0);
  request.preamble = wire::encode_retry(static_cast<uint32_t>(ctx.config.limits.retry.count()));
  // Registered from here: every event published after the client sees "200"
  // reaches it. Leaving this function without release() abandons it.
  auto pending = ctx.hub->open(std::move(request));
  if (!pending) {
    if (ctx.cluster) ctx.cluster->changed();  // the place the request held is free again
    return ex.send_error(api_error_for(pending.error()));
  }

  if (resume->has_value())
    ex.set_header("X-SSE-Replay", pending->replay_complete() ? "complete" : "incomplete");
  ex.send_stream(std::move(*pending).release());
}

}  // namespace

void add_stream_routes(RouteTable& routes) {
  for (const StreamEndpoint& endpoint : kStreamEndpoints) {
    routes.push_back(
        {"GET", endpoint.path, [&endpoint](Exchange& ex) { open_stream(ex, endpoint); }, true});
  }
}

}  // namespace sse
