#pragma once

// redis.url: where the Redis history backend connects, and how to show that
// address in logs and messages without its password.

#include <cstdint>
#include <string>
#include <string_view>

#include "sse/util/result.hpp"

namespace sse {

struct RedisEndpoint {
  std::string host;      // a name or an IPv4/IPv6 literal (brackets removed)
  int port = 6379;       // 1..65535
  std::string username;  // Redis 6 ACL user; empty = the default user
  std::string password;  // empty = no AUTH
  int db = 0;            // the SELECT index, 0..1000000 (Redis checks its own bound)

  bool operator==(const RedisEndpoint&) const = default;
};

// A Redis server as a part of sse-server uses it: where, how messages name
// it, and the prefix of every key.
struct RedisTarget {
  RedisEndpoint endpoint;
  std::string label;  // the URL without its password (redacted_redis_url)
  std::string key_prefix = "sse:";
  int64_t connect_timeout_ms = 2000;
};

// Parses redis://[[username]:password@]host[:port][/db]. The host is a name,
// an IPv4 address or an IPv6 address in brackets ("[::1]:6380"); %XX escapes
// are decoded in the username and password. The user information runs to the
// last '@', so a password may hold '/', '?', '#' or '@' as they are; a '%'
// in it must be written %25. "user@host" names a user without a password
// (the server may read it from redis.password_file).
//
// On bad input returns invalid_argument naming what is wrong and quoting the
// URL as redacted_redis_url shows it, so the message never holds the
// password: not redis://, an empty host, a bad host character, unbalanced or
// empty IPv6 brackets, a bad or out-of-range port, a db that is not a
// non-negative integer up to 1000000, a query or fragment, a bad %-escape.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

// `url` with the password replaced by "***" ("redis://app:***@cache:6379"),
// for logs and messages. Any text is accepted (a URL that parse_redis_url
// refuses is redacted the same way); one without a password comes back
// unchanged.
std::string redacted_redis_url(std::string_view url);

}  // namespace sse
