// Operations: liveness, readiness, Prometheus metrics, the status snapshot
// and the admin view of live streams.

#include <sstream>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <fmt/format.h>

#include "server/connections_view.hpp"
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
  ServerContext& ctx = ex.context();
  if (!ctx.ready) {
    return ex.send_error(
        {503, "not_ready", "the server is starting or shutting down", 1, Rejection::kInternal});
  }
  if (!ctx.log->available()) {
    return ex.send_error(
        {503, "not_ready", "the event log's Redis cannot be reached", 1, Rejection::kInternal});
  }
  ex.send_json(200, R"({"status":"ready"})");
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
  if (ctx.log->shared()) {
    gauges.redis_connected = ctx.log->available();
    gauges.redis_reconnects = ctx.log->reconnects();
  }
  ex.send_text(200, "text/plain; version=0.0.4; charset=utf-8",
               render_prometheus(ctx.metrics, gauges));
}

void system_status(Exchange& ex) {
  ex.send_json(200,
               status_snapshot_json(ex.context(), ex.context().cpu, ex.context().clock.now_ms()));
}

// Another node's connections (a JSON array it wrote), filtered as the local
// ones are. A list that does not parse is skipped: a node that wrote it is
// from another version.
std::vector<std::string> filtered_connections(const std::string& list,
                                              const std::optional<std::string>& user,
                                              const std::optional<std::string>& channel) {
  std::vector<std::string> out;
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
    const auto array = parser.parse(list).extract<Poco::JSON::Array::Ptr>();
    for (size_t i = 0; i < array->size(); ++i) {
      const auto object = array->getObject(static_cast<unsigned>(i));
      if (!object) continue;
      if (user && object->optValue<std::string>("userId", "") != *user) continue;
      if (channel && object->optValue<std::string>("stream", "") != *channel) continue;
      std::ostringstream text;
      Poco::JSON::Stringifier::condense(object, text);
      out.push_back(text.str());
    }
  } catch (const Poco::Exception&) {
  }
  return out;
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
  ServerContext& ctx = ex.context();
  const uint32_t node = ctx.cluster ? ctx.cluster->node() : 0;
  std::string body = R"({"connections":[)";
  bool first = true;
  auto add = [&](const std::string& object) {
    if (!first) body += ',';
    first = false;
    body += object;
  };
  for (const auto& s : ctx.hub->streams()) {
    if (user && s.owner.user_id != *user) continue;
    if (channel && channel_name(s.channel) != *channel) continue;
    add(connection_json(s, node));
  }
  if (ctx.cluster) {
    auto remote = ctx.cluster->remote_connections();
    if (!remote) return ex.send_error(api_error_for(remote.error()));
    for (const std::string& list : *remote) {
      for (const std::string& object : filtered_connections(list, user, channel)) add(object);
    }
  }
  body += "]}";
  ex.send_json(200, body);
}

void kick_connection(Exchange& ex) {
  auto who = ex.authenticate_admin();
  if (!who) return ex.send_error(who.error());
  const std::string id_text(ex.path().substr(api::kConnectionsPath.size() + 1));
  const auto id = parse_uint64(id_text);
  if (!id) return ex.send_error(bad_request(fmt::format("'{}' is not a connection id", id_text)));
  ServerContext& ctx = ex.context();
  if (ctx.cluster && Cluster::node_of(*id) != ctx.cluster->node()) {
    auto kicked = ctx.cluster->kick_remote(*id);
    if (!kicked) return ex.send_error(api_error_for(kicked.error()));
    if (!*kicked) return ex.send_error(not_found(fmt::format("no open connection {}", *id)));
    return ex.send_json(200, fmt::format(R"({{"id":"{}","closed":true}})", *id));
  }
  if (!ctx.hub->kick(*id)) {
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
