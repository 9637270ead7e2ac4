#pragma once

// The server's routes as a table: a method, a path and a handler. The three
// endpoint families add their rows; the router answers 404/405/OPTIONS for
// everything the table does not match.

#include <functional>
#include <string>
#include <vector>

#include "server/exchange.hpp"

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

using RouteTable = std::vector<Route>;

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
