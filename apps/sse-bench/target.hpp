#pragma once

// Where requests go: "http://host[:port]/path?query" with placeholders in the
// path and query only (every connection of one option talks to one address).

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

#include "sse-bench/template.hpp"
#include "sse/util/result.hpp"

namespace sse::bench {

struct Target {
  std::string host;  // a name or an address; IPv6 without brackets
  uint16_t port = 80;
  std::string authority;  // the Host header: host[:port] as written
  Template path;          // "/" when the URL has none; with the query
};

// Parses an http URL whose path and query may hold the placeholders in
// `allowed`. https, a fragment, user info or a placeholder in the host are
// errors quoting the URL.
Result<Target> parse_target(std::string_view url, PlaceholderSet allowed);

// A resolved address of a target.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool is_loopback_v4() const;
  std::string to_string() const;
};

// Resolves host:port (the first address getaddrinfo gives, IPv4 first).
Result<Address> resolve(const std::string& host, uint16_t port);

// 127.0.0.(2 + n): the source address of connection i with n = i % K.
Address loopback_source(int n);

}  // namespace sse::bench
