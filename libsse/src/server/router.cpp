#include "server/routes.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "server/server_context.hpp"
#include "sse/api/contract.hpp"
#include "sse/util/logger.hpp"

namespace sse {
namespace {

bool path_matches(const Route& route, std::string_view path) {
  if (!route.path.empty() && route.path.back() == '/') {
    return path.size() > route.path.size() && path.compare(0, route.path.size(), route.path) == 0;
  }
  return path == route.path;
}

// CORS (Fetch standard, "CORS protocol"): echo an allowed Origin back.
bool apply_cors(Exchange& ex) {
  const auto origin_header = ex.header("Origin");
  if (!origin_header) return false;
  const std::string origin(*origin_header);
  const auto& allowed = ex.context().config.cors.allowed_origins;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return false;
  ex.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) ex.set_header("Vary", "Origin");
  ex.set_header("Access-Control-Expose-Headers", "X-SSE-Replay, Retry-After");
  return true;
}

// The routes of one path (a few methods): no allocation per request.
class PathRoutes {
 public:
  // A table with more routes on one path is a programming error (a 500).
  void add(const Route* route) {
    if (count_ == routes_.size()) {
      throw std::logic_error("more routes match one path than PathRoutes holds");
    }
    routes_[count_++] = route;
  }
  const Route* const* begin() const { return routes_.data(); }
  const Route* const* end() const { return routes_.data() + count_; }
  bool empty() const { return count_ == 0; }

  static constexpr size_t kMax = 8;

 private:
  std::array<const Route*, kMax> routes_{};
  size_t count_ = 0;
};

}  // namespace

RouteTable build_route_table() {
  RouteTable routes;
  add_stream_routes(routes);
  add_publish_routes(routes);
  add_ops_routes(routes);
  return routes;
}

bool runs_on_loop(const RouteTable& routes, const http::RequestHead& head, size_t body_bytes) {
  if (body_bytes > kLoopBodyLimit) return false;
  std::string_view path = head.target;
  path = path.substr(0, path.find('?'));
  const bool is_head = head.method == "HEAD";
  for (const Route& route : routes) {
    if (!path_matches(route, path)) continue;
    if (route.method == head.method || (is_head && route.method == "GET")) return !route.heavy;
  }
  return false;
}

bool is_probe(const http::RequestHead& head) {
  if (head.method != "GET" && head.method != "HEAD") return false;
  std::string_view path = head.target;
  path = path.substr(0, path.find('?'));
  return path == api::kHealthPath || path == api::kReadyPath;
}

void dispatch(const RouteTable& routes, Exchange& ex) {
  ex.context().metrics.http_requests.fetch_add(1, Metrics::relaxed);
  const bool cors = apply_cors(ex);
  const std::string& method = ex.method();
  // HEAD runs the GET and sends its head only (http::Framing::head_only).
  const bool head = method == "HEAD";

  PathRoutes on_path;
  auto allow = [&] {
    std::string list = "OPTIONS";
    for (const Route* r : on_path) {
      list += ", " + r->method;
      if (r->method == "GET" && !r->opens_stream) list += ", HEAD";
    }
    return list;
  };
  try {
    for (const Route& route : routes) {
      if (path_matches(route, ex.path())) on_path.add(&route);
    }
    // RFC 3986 2.1: a '%' not followed by two hex digits is not a URI; read
    // as no query at all, a token or a filter in it would vanish unnoticed.
    if (ex.query_malformed()) {
      ex.send_error(bad_request("the query string is not valid percent-encoding"));
    } else if (on_path.empty()) {
      ex.send_error(not_found(fmt::format("no such endpoint: {}", ex.path())));
    } else if (method == "OPTIONS") {
      // CORS preflight, or a plain OPTIONS: say what the path allows.
      ex.set_header("Allow", allow());
      if (cors) {
        ex.set_header("Access-Control-Allow-Methods", allow());
        ex.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
        ex.set_header("Access-Control-Max-Age", "600");
      }
      ex.send_text(204, "text/plain", "");
    } else {
      auto it = std::find_if(on_path.begin(), on_path.end(), [&](const Route* r) {
        return r->method == method || (head && r->method == "GET" && !r->opens_stream);
      });
      if (it == on_path.end()) {
        ex.set_header("Allow", allow());
        ex.send_error({405, "method_not_allowed",
                       fmt::format("{} does not take {}", ex.path(), method), 0,
                       Rejection::kMethodNotAllowed});
      } else {
        (*it)->handle(ex);
      }
    }
  } catch (const std::exception& e) {
    ex.context().logger.error("request failed",
                              {{"uri", redact_query(ex.target())}, {"error", e.what()}});
    ex.send_error({500, "internal", "internal server error", 0, Rejection::kInternal});
  }
  // deferred() first: once deferred, the answer may be under way on another
  // thread, and answered() is that thread's to write.
  if (!ex.deferred() && !ex.answered()) {  // a handler that forgot to answer: a bug, not a hang
    ex.send_error({500, "internal", "the handler sent no answer", 0, Rejection::kInternal});
  }
}

}  // namespace sse
