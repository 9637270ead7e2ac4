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
};

using RouteTable = std::vector<Route>;

void add_stream_routes(RouteTable& routes);   // GET …/stream (stream_endpoints.cpp)
void add_publish_routes(RouteTable& routes);  // POST endpoints (publish_endpoints.cpp)
void add_ops_routes(RouteTable& routes);      // health, metrics, admin (ops_endpoints.cpp)

RouteTable build_route_table();

// Serves one request: CORS, route lookup, 404/405, preflight, errors as JSON,
// the access log line.
void dispatch(const RouteTable& routes, Exchange& exchange);

}  // namespace sse
