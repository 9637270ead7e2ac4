#include "server/routes.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "server/server_context.hpp"
#include "sse/util/logger.hpp"

namespace sse {
namespace {

bool path_matches(const Route& route, const std::string& path) {
  if (!route.path.empty() && route.path.back() == '/') {
    return path.size() > route.path.size() && path.compare(0, route.path.size(), route.path) == 0;
  }
  return path == route.path;
}

// CORS (Fetch standard, "CORS protocol"): echo an allowed Origin back.
bool apply_cors(Exchange& ex) {
  auto& request = ex.request();
  if (!request.has("Origin")) return false;
  const std::string& origin = request.get("Origin");
  const auto& allowed = ex.context().config.cors.allowed_origins;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return false;
  auto& response = ex.response();
  response.set("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) response.set("Vary", "Origin");
  response.set("Access-Control-Expose-Headers", "X-SSE-Replay, Retry-After");
  return true;
}

void access_log(Exchange& ex, std::chrono::steady_clock::time_point started) {
  Logger& logger = ex.context().logger;
  if (!ex.context().config.log.access_log || !logger.enabled(LogLevel::kInfo)) return;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  logger.info("request", {{"method", ex.request().getMethod()},
                          {"uri", redact_query(ex.request().getURI())},
                          {"status", std::to_string(ex.status())},
                          {"ms", fmt::format("{:.3f}", micros / 1000.0)},
                          {"remote", ex.request().clientAddress().toString()}});
}

}  // namespace

RouteTable build_route_table() {
  RouteTable routes;
  add_stream_routes(routes);
  add_publish_routes(routes);
  add_ops_routes(routes);
  return routes;
}

void dispatch(const RouteTable& routes, Exchange& ex) {
  const auto started = std::chrono::steady_clock::now();
  ex.context().metrics.http_requests.fetch_add(1, Metrics::relaxed);
  const bool cors = apply_cors(ex);
  // RFC 9112 6.1: both Content-Length and Transfer-Encoding may be an attempt
  // at request smuggling; answer by Transfer-Encoding, then close.
  if (ex.request().getChunkedTransferEncoding() && ex.request().hasContentLength()) {
    ex.response().setKeepAlive(false);
  }
  const std::string& method = ex.request().getMethod();

  std::vector<const Route*> on_path;
  for (const Route& route : routes) {
    if (path_matches(route, ex.path())) on_path.push_back(&route);
  }
  auto allow = [&] {
    std::string list = "OPTIONS";
    for (const Route* r : on_path) list += ", " + r->method;
    return list;
  };
  try {
    // RFC 3986 2.1: a '%' not followed by two hex digits is not a URI; read
    // as no query at all, a token or a filter in it would vanish unnoticed.
    if (ex.query_malformed()) {
      ex.send_error(bad_request("the query string is not valid percent-encoding"));
    } else if (on_path.empty()) {
      ex.send_error(not_found(fmt::format("no such endpoint: {}", ex.path())));
    } else if (method == "OPTIONS") {
      // CORS preflight, or a plain OPTIONS: say what the path allows.
      auto& response = ex.response();
      response.set("Allow", allow());
      if (cors) {
        response.set("Access-Control-Allow-Methods", allow());
        response.set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
        response.set("Access-Control-Max-Age", "600");
      }
      ex.send_text(204, "text/plain", "");
    } else {
      auto it = std::find_if(on_path.begin(), on_path.end(),
                             [&](const Route* r) { return r->method == method; });
      if (it == on_path.end()) {
        ex.response().set("Allow", allow());
        ex.send_error({405, "method_not_allowed",
                       fmt::format("{} does not take {}", ex.path(), method), 0,
                       Rejection::kMethodNotAllowed});
      } else {
        (*it)->handle(ex);
      }
    }
  } catch (const std::exception& e) {
    ex.context().logger.error("request failed",
                              {{"uri", redact_query(ex.request().getURI())}, {"error", e.what()}});
    if (!ex.response().sent())
      ex.send_error({500, "internal", "internal server error", 0, Rejection::kInternal});
  }
  access_log(ex, started);
}

}  // namespace sse
