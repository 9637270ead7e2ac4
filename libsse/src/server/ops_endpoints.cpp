// Operations: liveness, readiness, Prometheus metrics, the status snapshot
// and the admin view of live streams.

#include <fmt/format.h>

#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/api/contract.hpp"
#include "sse/server/system_status.hpp"
#include "sse/util/json.hpp"
#include "sse/util/parse.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

void health(Exchange& ex) { ex.send_json(200, R"({"status":"ok"})"); }

void ready(Exchange& ex) {
  if (ex.context().ready) return ex.send_json(200, R"({"status":"ready"})");
  ex.send_error(
      {503, "not_ready", "the server is starting or shutting down", 1, Rejection::kInternal});
}

void metrics(Exchange& ex) {
  ServerContext& ctx = ex.context();
  Gauges gauges;
  gauges.open_streams = ctx.hub->open_streams();
  gauges.log_events = ctx.log->size();
  gauges.log_head = ctx.log->head();
  gauges.queued_events = ctx.hub->queued_total();
  gauges.queued_bytes = ctx.hub->queued_bytes_total();
  gauges.uptime_seconds =
      static_cast<double>(ctx.clock.steady_ms() - ctx.started_steady_ms) / 1000.0;
  ex.send_text(200, "text/plain; version=0.0.4; charset=utf-8",
               render_prometheus(ctx.metrics, gauges));
}

void system_status(Exchange& ex) {
  ex.send_json(200,
               status_snapshot_json(ex.context(), ex.context().cpu, ex.context().clock.now_ms()));
}

std::string connection_json(const StreamSnapshot& s) {
  return fmt::format(
      R"({{"id":"{}","userId":{},"username":{},"stream":"{}","room":{},"remoteAddress":{},"connectedAt":"{}","lastEventId":"{}","eventsSent":{},"bytesSent":{},"queued":{},"queuedBytes":{}}})",
      s.id, json_quote(s.owner.user_id), json_quote(s.owner.username), channel_name(s.channel),
      s.room.empty() ? "null" : json_quote(s.room), json_quote(s.owner.remote_address),
      format_iso8601_ms(s.connected_at_ms), s.last_event_id, s.events_sent, s.bytes_sent, s.queued,
      s.queued_bytes);
}

void list_connections(Exchange& ex) {
  auto who = ex.authenticate_admin();
  if (!who) return ex.send_error(who.error());
  const auto user = ex.query(api::kUserParam);
  const auto channel = ex.query(api::kChannelFilterParam);
  if (channel && !parse_channel(*channel)) {
    return ex.send_error(bad_request(fmt::format(
        "{} must be notifications, realtime, chat or status", api::kChannelFilterParam)));
  }
  std::string body = R"({"connections":[)";
  bool first = true;
  for (const auto& s : ex.context().hub->streams()) {
    if (user && s.owner.user_id != *user) continue;
    if (channel && channel_name(s.channel) != *channel) continue;
    if (!first) body += ',';
    first = false;
    body += connection_json(s);
  }
  body += "]}";
  ex.send_json(200, body);
}

void kick_connection(Exchange& ex) {
  auto who = ex.authenticate_admin();
  if (!who) return ex.send_error(who.error());
  const std::string id_text = ex.path().substr(api::kConnectionsPath.size() + 1);
  const auto id = parse_uint64(id_text);
  if (!id) return ex.send_error(bad_request(fmt::format("'{}' is not a connection id", id_text)));
  if (!ex.context().hub->kick(*id)) {
    return ex.send_error(not_found(fmt::format("no open connection {}", *id)));
  }
  ex.send_json(200, fmt::format(R"({{"id":"{}","closed":true}})", *id));
}

}  // namespace

void add_ops_routes(RouteTable& routes) {
  const std::string connections(api::kConnectionsPath);
  routes.push_back({"GET", std::string(api::kHealthPath), health});
  routes.push_back({"GET", std::string(api::kReadyPath), ready});
  routes.push_back({"GET", std::string(api::kMetricsPath), metrics, false, /*heavy=*/true});
  routes.push_back({"GET", std::string(api::kStatusPath), system_status, false, /*heavy=*/true});
  routes.push_back({"GET", connections, list_connections, false, /*heavy=*/true});
  routes.push_back({"DELETE", connections + "/", kick_connection});  // prefix: "/<id>"
}

}  // namespace sse
