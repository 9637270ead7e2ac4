#pragma once

// sse-server's configuration: built-in defaults, a TOML file, SSE_* environment
// variables and command-line overrides, merged and checked in one place so the
// rest of the server can trust every value it reads. The reference for every
// key is man/sse-server.toml.5; the shipped config/sse-server.toml equals the
// built-in defaults below.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sse/api/contract.hpp"
#include "sse/util/result.hpp"

namespace sse {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 3000;  // 0 = pick a free port (tests use it); 1..65535 otherwise
  // Request handlers (1..1024): they run only with a complete request; no
  // connection holds one while it reads, idles or streams.
  int threads = 16;
  int writer_threads = 0;  // event loops (0..1024) for every connection; 0 = one per core
  // The whole request head must arrive within this (> 0), from the accept or,
  // on a kept-alive connection, from the head's first byte: no byte by then
  // closes the connection unanswered, a head begun but not complete gets 408.
  std::chrono::milliseconds request_timeout{10000};
  // The whole body must arrive within this from the end of the head (> 0): 408.
  std::chrono::milliseconds body_timeout{10000};
  // A kept-alive connection may sit idle between requests this long (> 0).
  std::chrono::milliseconds keepalive_timeout{30000};
  // Complete requests waiting for a handler (>= 1); past it: 503 + Retry-After.
  int max_queued_requests = 16384;
  int max_head_bytes = 32768;  // request line and header fields (1 KiB .. 1 MiB): 431
  // The request target (64 .. max_head_bytes; left at the default, it follows
  // a smaller max_head_bytes): 414.
  int max_url_bytes = 8192;
  int max_header_fields = 100;  // header fields per request (1 .. 10000): 431
  // Open connections that are not streams (reading, waiting for a handler,
  // idle between requests; >= 1); more wait in the listen backlog.
  int max_http_connections = 16384;

  bool operator==(const ServerConfig&) const = default;
};

struct AuthConfig {
  bool demo_tokens = true;
  // True when the file or the environment set auth.demo_tokens (whatever the
  // value): the server allows demo tokens on a non-loopback host only then.
  bool demo_tokens_explicit = false;
  std::string jwt_secret;           // HS256 shared secret; at most one of these two
  std::string jwt_secret_file;      // HS256 secret read from this file
  std::string jwt_public_key_file;  // RS256 public key (PEM)

  bool operator==(const AuthConfig&) const = default;
};

struct LimitsConfig {
  int max_connections = 1000;                           // open streams in all (>= 1)
  int max_connections_per_user = 5;                     // open streams per user (>= 1)
  std::chrono::milliseconds idle_timeout{300000};       // 0 disables
  std::chrono::milliseconds heartbeat_interval{30000};  // > 0
  std::chrono::milliseconds status_interval{5000};      // > 0
  std::chrono::milliseconds retry{3000};                // the retry: sent to clients (> 0, <= 24 h)
  int64_t max_body_bytes = 65536;                       // POST bodies (1 .. 1 GiB)
  double publish_rate = 20;                             // per user, per second (> 0)
  int publish_burst = 40;                               // >= 1
  int max_queued_events = 1024;  // per stream (>= 1); a slower client is disconnected
  // Bytes a stream may have waiting (events, replay pages, heartbeats; >= 4096):
  // a replay waits below it, live events past it disconnect the stream.
  int64_t max_queued_bytes = 1 << 20;
  // Bytes waiting in all streams together (>= max_queued_bytes; left at the
  // default, it follows a larger max_queued_bytes): replays wait while the
  // total is over it.
  int64_t max_queued_bytes_total = int64_t{256} << 20;
  // Open /system/status/stream connections without a token (0 ..
  // max_connections; left at the default, it follows a smaller
  // max_connections): 429.
  int max_anonymous_connections = 100;

  bool operator==(const LimitsConfig&) const = default;
};

struct HistoryConfig {
  std::string backend = "sqlite";       // sqlite | memory | redis
  std::string path = "data/events.db";  // sqlite database (not empty with sqlite)
  std::string sync = "full";            // sqlite: full (fsync per commit) | normal
  int64_t max_events = 100000;          // >= 1
  std::chrono::milliseconds max_age{std::chrono::hours(24)};  // > 0

  bool operator==(const HistoryConfig&) const = default;
};

struct ChatConfig {
  // Room name -> roles that may enter (at least one). Every other room whose
  // name is valid (is_valid_room_name) is open to every user.
  std::map<std::string, std::vector<std::string>> private_rooms{{"ops", {"admin"}}};

  bool operator==(const ChatConfig&) const = default;
};

struct CorsConfig {
  std::vector<std::string> allowed_origins{"*"};  // empty: no CORS headers

  bool operator==(const CorsConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace | debug | info | warn | error
  std::string format = "text";  // text | json
  bool access_log = true;

  bool operator==(const LogConfig&) const = default;
};

// Used when history.backend = "redis".
struct RedisConfig {
  // redis://[[username]:password@]host[:port][/db], as parse_redis_url reads it.
  std::string url = "redis://127.0.0.1:6379";
  // A file whose contents, trailing line ends stripped, are the password. The
  // server reads it at start; load_config only checks that it is not set
  // together with a password in url.
  std::string password_file;
  // Prefixes every Redis key, so that deployments can share one Redis: 1..64
  // bytes of printable ASCII without spaces.
  std::string key_prefix = "sse:";
  // How long a crashed node's registrations (its per-user stream counts, its
  // stream list) outlive it, 1s..1h; each node refreshes its own every
  // node_ttl / 3.
  std::chrono::milliseconds node_ttl{10000};

  bool operator==(const RedisConfig&) const = default;
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  LimitsConfig limits;
  HistoryConfig history;
  ChatConfig chat;
  CorsConfig cors;
  LogConfig log;
  RedisConfig redis;
  std::string source = "built-in defaults";  // or the file path, for messages

  bool operator==(const Config&) const = default;
};

// From the command line; they beat everything else.
struct ConfigOverrides {
  std::optional<std::string> host = std::nullopt;
  std::optional<int> port = std::nullopt;
};

// Builds the configuration: built-in defaults < the file at `path` (if any) <
// the environment < `overrides`.
//
// `env` is the whole process environment (environment_map). Only variables
// named SSE_<SECTION>_<KEY> (upper case, e.g. SSE_LIMITS_IDLE_TIMEOUT) count:
// others, and SSE_* variables whose section is unknown (SSE_SOURCE_DIR), are
// ignored, but a known section with an unknown key is an error, so a typo
// cannot pass silently. Environment values are text: integers, numbers,
// durations, bools as true/false/1/0/yes/no, cors.allowed_origins as
// "a,b", chat.private_rooms as "ops=admin;vip=admin,vip" (each replaces the
// whole list or map).
//
// Returns the first problem found as an Error naming the key and where the
// value came from ("FILE:LINE: limits.idle_timeout: ...", "environment
// variable SSE_SERVER_PORT: server.port: ...", "command line --port: ..."):
// an unreadable file, a TOML syntax error, an unknown section or key, a wrong
// type, a bad duration or enum value, an invalid room name, a value out of
// range, or conflicting keys (a message quotes redis.url redacted). Never
// throws on bad input.
Result<Config> load_config(const std::optional<std::string>& path,
                           const std::map<std::string, std::string>& env,
                           const ConfigOverrides& overrides = {});

// "NAME=value" entries (as in `environ`, null-terminated; null gives an
// empty map) as a map. An entry without '=' maps to "".
std::map<std::string, std::string> environment_map(char** envp);

// The configuration as TOML, every key in every section, in the order of the
// shipped file (`sse-server --print-config`). Loading the output gives the
// same configuration back, except for the secrets, left out so that the
// output is safe to show: a non-empty auth.jwt_secret is not written, and a
// password in redis.url is written as "***" (redacted_redis_url); a comment
// says each is set.
std::string to_toml(const Config& config);

}  // namespace sse
