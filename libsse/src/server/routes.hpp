#pragma once

// The server's routes as a table: a method, a path and a handler. The three
// endpoint families add their rows; the router answers 404/405/OPTIONS for
// everything the table does not match.

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/exchange.hpp"
#include "sse/util/ascii.hpp"

namespace sse {

struct Route {
  std::string method;  // "GET", "POST", "DELETE"
  std::string path;    // exact; a path ending in '/' matches by prefix
  std::function<void(Exchange&)> handle;
  // A GET that opens a stream: HEAD does not run it (405).
  bool opens_stream = false;
  // It walks every stream (admin, metrics, status): it runs on the handler
  // pool, never on an event loop.
  bool heavy = false;
};

// The routes of one path (a few methods), in table order: no allocation
// per request.
class PathRoutes {
 public:
  static constexpr size_t kMax = 8;

  // A table with more routes on one path is a programming error (a 500).
  void add(const Route* route);
  const Route* const* begin() const { return routes_.data(); }
  const Route* const* end() const { return routes_.data() + count_; }
  bool empty() const { return count_ == 0; }

 private:
  std::array<const Route*, kMax> routes_{};
  size_t count_ = 0;
};

// The table, indexed by path: finding a path's routes costs one hash lookup
// and a look at the prefix routes, whatever the number of routes.
class RouteTable {
 public:
  // Adds a row (rows keep the order they were added in).
  void push_back(Route route);
  // The rows whose path matches `path` (exactly, or by prefix for a route
  // whose path ends in '/'), in table order. Valid until the next push_back.
  PathRoutes on_path(std::string_view path) const;

 private:
  std::vector<Route> routes_;
  // Row numbers, ascending: of the exact paths, and of the prefix routes.
  std::unordered_map<std::string, std::vector<size_t>, StringViewHash, std::equal_to<>> exact_;
  std::vector<size_t> prefixes_;
};

void add_stream_routes(RouteTable& routes);   // GET …/stream (stream_endpoints.cpp)
void add_publish_routes(RouteTable& routes);  // POST endpoints (publish_endpoints.cpp)
void add_ops_routes(RouteTable& routes);      // health, metrics, admin (ops_endpoints.cpp)

RouteTable build_route_table();

// Serves one request: CORS, route lookup (HEAD as the GET without its body),
// 404/405, preflight, errors as JSON. The exchange is answered (or deferred:
// a publish answers when the log has its event) when it returns.
void dispatch(const RouteTable& routes, Exchange& exchange);

// Bodies up to this size may be handled on an event loop.
inline constexpr size_t kLoopBodyLimit = 16 * 1024;

// Whether the request may be handled on its connection's event loop: a
// route that is not heavy, with a small body. Everything else (and what
// fails to match) is handled on the handler pool.
bool runs_on_loop(const RouteTable& routes, const http::RequestHead& head, size_t body_bytes);

// GET or HEAD /health or /ready: the probes, which touch nothing a request
// could wait for.
bool is_probe(const http::RequestHead& head);

}  // namespace sse
