#include "config_keys.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>

#include <fmt/format.h>

#include "sse/config/duration.hpp"
#include "sse/config/redis_url.hpp"

namespace sse::detail {
namespace {

using std::chrono::milliseconds;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The trimmed, non-empty pieces of `text` between `separator`s.
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const auto end = text.find(separator);
    if (auto piece = trim(text.substr(0, end)); !piece.empty()) pieces.push_back(piece);
    if (end == std::string_view::npos) return pieces;
    text.remove_prefix(end + 1);
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

Error wrong_type(std::string_view expected, const toml::node& node) {
  return Error::invalid_argument(fmt::format("expected {}, got {}", expected, type_name(node)));
}

// --- Readers: one per value type, each from a TOML node or from text. ---

Result<std::string> read_string(const RawValue& raw) {
  if (!raw.node) return std::string(raw.text);
  if (const auto* value = raw.node->as_string()) return value->get();
  return wrong_type("a string", *raw.node);
}

Result<int64_t> read_integer(const RawValue& raw) {
  if (raw.node) {
    if (const auto* value = raw.node->as_integer()) return value->get();
    return wrong_type("an integer", *raw.node);
  }
  int64_t value = 0;
  const char* end = raw.text.data() + raw.text.size();
  const auto [ptr, ec] = std::from_chars(raw.text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return Error::invalid_argument(fmt::format("expected an integer, got \"{}\"", raw.text));
  }
  return value;
}

Result<double> read_number(const RawValue& raw) {
  if (raw.node) {
    if (const auto* value = raw.node->as_floating_point()) return value->get();
    if (const auto* value = raw.node->as_integer()) return static_cast<double>(value->get());
    return wrong_type("a number", *raw.node);
  }
  double value = 0;
  const char* end = raw.text.data() + raw.text.size();
  const auto [ptr, ec] = std::from_chars(raw.text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return Error::invalid_argument(fmt::format("expected a number, got \"{}\"", raw.text));
  }
  return value;
}

Result<bool> read_bool(const RawValue& raw) {
  if (raw.node) {
    if (const auto* value = raw.node->as_boolean()) return value->get();
    return wrong_type("true or false", *raw.node);
  }
  const std::string text = lower(raw.text);
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return Error::invalid_argument(
      fmt::format("expected true/false/1/0/yes/no, got \"{}\"", raw.text));
}

Result<milliseconds> read_duration(const RawValue& raw) {
  if (!raw.node) return parse_duration(raw.text);
  if (const auto* value = raw.node->as_string()) return parse_duration(value->get());
  if (const auto* value = raw.node->as_integer()) {  // seconds, like a bare "30"
    const int64_t seconds = value->get();
    if (seconds < 0)
      return Error::invalid_argument(fmt::format("must not be negative, got {}", seconds));
    if (seconds > std::numeric_limits<int64_t>::max() / 1000) {
      return Error::invalid_argument(fmt::format("{} seconds is too large", seconds));
    }
    return milliseconds(seconds * 1000);
  }
  return wrong_type("a duration (\"30s\") or an integer of seconds", *raw.node);
}

Result<std::vector<std::string>> read_string_list(const RawValue& raw) {
  std::vector<std::string> list;
  if (!raw.node) {
    for (auto piece : split(raw.text, ',')) list.emplace_back(piece);
    return list;
  }
  const auto* array = raw.node->as_array();
  if (!array) return wrong_type("an array of strings", *raw.node);
  for (const auto& element : *array) {
    const auto* value = element.as_string();
    if (!value) return wrong_type("an array of strings", element);
    if (value->get().empty())
      return Error::invalid_argument("an empty string is not allowed in the list");
    list.push_back(value->get());
  }
  return list;
}

Result<std::vector<std::string>> read_roles(const toml::node& node) {
  return read_string_list(RawValue{&node, {}});
}

Result<RoomMap> read_room_map(const RawValue& raw) {
  RoomMap rooms;
  if (raw.node) {
    const auto* table = raw.node->as_table();
    if (!table) return wrong_type("a table of room = [roles]", *raw.node);
    for (const auto& [room, roles] : *table) {
      auto list = read_roles(roles);
      if (!list)
        return Error::invalid_argument(fmt::format("room \"{}\": {}", room.str(), list.message()));
      rooms.emplace(room.str(), std::move(*list));
    }
  } else {
    for (auto entry : split(raw.text, ';')) {
      const auto equals = entry.find('=');
      if (equals == std::string_view::npos) {
        return Error::invalid_argument(fmt::format("expected room=role,role in \"{}\"", entry));
      }
      const std::string room(trim(entry.substr(0, equals)));
      std::vector<std::string> roles;
      for (auto role : split(entry.substr(equals + 1), ',')) roles.emplace_back(role);
      if (!rooms.emplace(room, std::move(roles)).second) {
        return Error::invalid_argument(fmt::format("room \"{}\" is listed twice", room));
      }
    }
  }
  for (const auto& [room, roles] : rooms) {
    if (!is_valid_room_name(room)) {
      return Error::invalid_argument(
          fmt::format("invalid room name \"{}\" (1-64 characters from A-Z a-z 0-9 _ . -)", room));
    }
    if (roles.empty()) {
      return Error::invalid_argument(fmt::format("room \"{}\" names no role that may enter", room));
    }
  }
  return rooms;
}

// --- Checks for string keys. ---

Status one_of(const std::string& value, std::initializer_list<std::string_view> choices) {
  for (auto choice : choices) {
    if (value == choice) return {};
  }
  return Error::invalid_argument(
      fmt::format("must be one of {}; got \"{}\"", fmt::join(choices, ", "), value));
}

Status check_not_empty(const std::string& value) {
  if (value.empty()) return Error::invalid_argument("must not be empty");
  return {};
}
Status check_backend(const std::string& value) {
  return one_of(value, {"memory", "sqlite", "redis"});
}
Status check_sync(const std::string& value) { return one_of(value, {"full", "normal"}); }
Status check_log_level(const std::string& value) {
  return one_of(value, {"trace", "debug", "info", "warn", "error"});
}
Status check_log_format(const std::string& value) { return one_of(value, {"text", "json"}); }
Status check_redis_url(const std::string& value) {
  if (auto endpoint = parse_redis_url(value); !endpoint) return endpoint.error();
  return {};
}
Status check_key_prefix(const std::string& value) {
  if (value.empty() || value.size() > 64) {
    return Error::invalid_argument(fmt::format("must be 1 to 64 bytes, got {}", value.size()));
  }
  for (char c : value) {
    if (c <= ' ' || c > '~') {
      return Error::invalid_argument(
          fmt::format("must be printable ASCII without spaces; got \"{}\"", value));
    }
  }
  return {};
}

template <class T>
Status check_range(const IntegerKey<T>& key, int64_t value) {
  if (value >= key.min && value <= key.max) return {};
  if (value < key.min && key.max == std::numeric_limits<T>::max()) {
    return Error::invalid_argument(fmt::format("must be at least {}, got {}", key.min, value));
  }
  return Error::invalid_argument(
      fmt::format("must be between {} and {}, got {}", key.min, key.max, value));
}

}  // namespace

std::string KeySpec::path() const { return fmt::format("{}.{}", section, name); }

std::string env_prefix(std::string_view section) { return fmt::format("SSE_{}_", upper(section)); }

std::string KeySpec::env_name() const { return env_prefix(section) + upper(name); }

// A function returning a reference to one member of Config.
// clang-format off
#define SSE_FIELD(member) +[](Config& c) -> auto& { return c.member; }
// clang-format on

const std::vector<KeySpec>& config_keys() {
  constexpr int64_t kInt = std::numeric_limits<int>::max();
  constexpr int64_t kInt64 = std::numeric_limits<int64_t>::max();
  static const std::vector<KeySpec> keys = {
      {"server", "host", StringKey{SSE_FIELD(server.host), check_not_empty}},
      {"server", "port", IntegerKey<int>{SSE_FIELD(server.port), 0, 65535}},
      {"server", "threads", IntegerKey<int>{SSE_FIELD(server.threads), 1, 1024}},
      {"server", "writer_threads", IntegerKey<int>{SSE_FIELD(server.writer_threads), 0, 1024}},
      {"server", "request_timeout", DurationKey{SSE_FIELD(server.request_timeout), false}},
      {"server", "body_timeout", DurationKey{SSE_FIELD(server.body_timeout), false}},
      {"server", "keepalive_timeout", DurationKey{SSE_FIELD(server.keepalive_timeout), false}},
      {"server", "max_queued_requests",
       IntegerKey<int>{SSE_FIELD(server.max_queued_requests), 1, kInt}},
      {"server", "max_head_bytes",
       IntegerKey<int>{SSE_FIELD(server.max_head_bytes), 1024, 1 << 20}},
      // At most server.max_head_bytes: checked in check_combinations (config.cpp).
      {"server", "max_url_bytes", IntegerKey<int>{SSE_FIELD(server.max_url_bytes), 64, 1 << 20}},
      {"server", "max_header_fields",
       IntegerKey<int>{SSE_FIELD(server.max_header_fields), 1, 10000}},
      {"server", "max_http_connections",
       IntegerKey<int>{SSE_FIELD(server.max_http_connections), 1, kInt}},

      {"auth", "demo_tokens",
       BoolKey{SSE_FIELD(auth.demo_tokens), SSE_FIELD(auth.demo_tokens_explicit)}},
      {"auth", "jwt_secret", StringKey{SSE_FIELD(auth.jwt_secret), nullptr, true}},
      {"auth", "jwt_secret_file", StringKey{SSE_FIELD(auth.jwt_secret_file)}},
      {"auth", "jwt_public_key_file", StringKey{SSE_FIELD(auth.jwt_public_key_file)}},

      {"limits", "max_connections", IntegerKey<int>{SSE_FIELD(limits.max_connections), 1, kInt}},
      {"limits", "max_connections_per_user",
       IntegerKey<int>{SSE_FIELD(limits.max_connections_per_user), 1, kInt}},
      {"limits", "idle_timeout", DurationKey{SSE_FIELD(limits.idle_timeout), true}},
      {"limits", "heartbeat_interval", DurationKey{SSE_FIELD(limits.heartbeat_interval), false}},
      {"limits", "status_interval", DurationKey{SSE_FIELD(limits.status_interval), false}},
      // Sent as a uint32 of milliseconds (the retry: line): 24 h is far below the wrap.
      {"limits", "retry", DurationKey{SSE_FIELD(limits.retry), false, std::chrono::hours(24)}},
      {"limits", "max_body_bytes",
       IntegerKey<int64_t>{SSE_FIELD(limits.max_body_bytes), 1, int64_t{1} << 30}},
      {"limits", "publish_rate", RateKey{SSE_FIELD(limits.publish_rate)}},
      {"limits", "publish_burst", IntegerKey<int>{SSE_FIELD(limits.publish_burst), 1, kInt}},
      {"limits", "max_queued_events",
       IntegerKey<int>{SSE_FIELD(limits.max_queued_events), 1, kInt}},
      {"limits", "max_queued_bytes",
       IntegerKey<int64_t>{SSE_FIELD(limits.max_queued_bytes), 4096, kInt64}},
      // At least limits.max_queued_bytes: checked in check_combinations (config.cpp).
      {"limits", "max_queued_bytes_total",
       IntegerKey<int64_t>{SSE_FIELD(limits.max_queued_bytes_total), 4096, kInt64}},
      // At most limits.max_connections: checked in check_combinations (config.cpp).
      {"limits", "max_anonymous_connections",
       IntegerKey<int>{SSE_FIELD(limits.max_anonymous_connections), 0, kInt}},

      {"history", "backend", StringKey{SSE_FIELD(history.backend), check_backend}},
      {"history", "path", StringKey{SSE_FIELD(history.path)}},
      {"history", "sync", StringKey{SSE_FIELD(history.sync), check_sync}},
      {"history", "max_events", IntegerKey<int64_t>{SSE_FIELD(history.max_events), 1, kInt64}},
      {"history", "max_age", DurationKey{SSE_FIELD(history.max_age), false}},

      {"chat", "private_rooms", RoomMapKey{SSE_FIELD(chat.private_rooms)}},

      {"cors", "allowed_origins", StringListKey{SSE_FIELD(cors.allowed_origins)}},

      {"log", "level", StringKey{SSE_FIELD(log.level), check_log_level}},
      {"log", "format", StringKey{SSE_FIELD(log.format), check_log_format}},
      {"log", "access_log", BoolKey{SSE_FIELD(log.access_log)}},

      {"redis", "url", StringKey{SSE_FIELD(redis.url), check_redis_url, false, redacted_redis_url}},
      // Not together with a password in redis.url: checked in check_combinations (config.cpp).
      {"redis", "password_file", StringKey{SSE_FIELD(redis.password_file)}},
      {"redis", "key_prefix", StringKey{SSE_FIELD(redis.key_prefix), check_key_prefix}},
      {"redis", "node_ttl",
       DurationKey{SSE_FIELD(redis.node_ttl), false, std::chrono::hours(1),
                   std::chrono::seconds(1)}},
  };
  return keys;
}

#undef SSE_FIELD

const KeySpec* find_key(std::string_view section, std::string_view name) {
  for (const auto& key : config_keys()) {
    if (key.section == section && key.name == name) return &key;
  }
  return nullptr;
}

bool is_known_section(std::string_view section) {
  for (const auto& key : config_keys()) {
    if (key.section == section) return true;
  }
  return false;
}

Status apply_key(const KeySpec& key, const RawValue& raw, Config& config) {
  return std::visit(
      Overloaded{
          [&](const StringKey& k) -> Status {
            auto value = read_string(raw);
            if (!value) return value.error();
            if (k.check) {
              if (Status status = k.check(*value); !status) return status;
            }
            k.field(config) = std::move(*value);
            return {};
          },
          [&]<class T>(const IntegerKey<T>& k) -> Status {
            auto value = read_integer(raw);
            if (!value) return value.error();
            if (Status status = check_range(k, *value); !status) return status;
            k.field(config) = static_cast<T>(*value);
            return {};
          },
          [&](const RateKey& k) -> Status {
            auto value = read_number(raw);
            if (!value) return value.error();
            if (!std::isfinite(*value) || *value <= 0) {
              return Error::invalid_argument(
                  fmt::format("must be a number greater than 0, got {}", *value));
            }
            k.field(config) = *value;
            return {};
          },
          [&](const BoolKey& k) -> Status {
            auto value = read_bool(raw);
            if (!value) return value.error();
            k.field(config) = *value;
            if (k.set_explicitly) k.set_explicitly(config) = true;
            return {};
          },
          [&](const DurationKey& k) -> Status {
            auto value = read_duration(raw);
            if (!value) return value.error();
            if (*value < k.min) {
              return Error::invalid_argument(fmt::format(
                  "must be at least {}, got {}", format_duration(k.min), format_duration(*value)));
            }
            if (!k.zero_allowed && value->count() == 0)
              return Error::invalid_argument("must be greater than 0");
            if (*value > k.max) {
              return Error::invalid_argument(fmt::format(
                  "must be at most {}, got {}", format_duration(k.max), format_duration(*value)));
            }
            k.field(config) = *value;
            return {};
          },
          [&](const StringListKey& k) -> Status {
            auto value = read_string_list(raw);
            if (!value) return value.error();
            k.field(config) = std::move(*value);
            return {};
          },
          [&](const RoomMapKey& k) -> Status {
            auto value = read_room_map(raw);
            if (!value) return value.error();
            k.field(config) = std::move(*value);
            return {};
          },
      },
      key.binding);
}

}  // namespace sse::detail
