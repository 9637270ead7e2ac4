#include "sse/config/config.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Env = std::map<std::string, std::string>;

namespace {

const std::string kShippedConfig = std::string(SSE_SOURCE_DIR) + "/config/sse-server.toml";
const std::string kManPage = std::string(SSE_SOURCE_DIR) + "/man/sse-server.toml.5";

// A file in the temporary directory holding `text`, removed when it goes.
class TempFile {
 public:
  explicit TempFile(std::string_view text) : path_(unique_path()) {
    std::ofstream out(path_, std::ios::binary);
    out << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  static std::string unique_path() {
    static std::atomic<int> counter{0};
    const auto name = fmt::format("sse_config_test_{}_{}.toml", ::getpid(), counter++);
    return (std::filesystem::temp_directory_path() / name).string();
  }
  std::string path_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

sse::Config load_ok(const std::optional<std::string>& path, const Env& env = {},
                    const sse::ConfigOverrides& overrides = {}) {
  auto config = sse::load_config(path, env, overrides);
  INFO((config.ok() ? std::string() : config.message()));
  REQUIRE(config.ok());
  return *config;
}

std::string load_error(const std::optional<std::string>& path, const Env& env = {},
                       const sse::ConfigOverrides& overrides = {}) {
  auto config = sse::load_config(path, env, overrides);
  REQUIRE_FALSE(config.ok());
  return config.message();
}

// Every key of to_toml's output as {"section", "key"}, in order.
std::vector<std::pair<std::string, std::string>> keys_of(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> keys;
  std::istringstream lines(toml);
  std::string line, section;
  while (std::getline(lines, line)) {
    if (line.rfind('[', 0) == 0) {
      section = line.substr(1, line.find(']') - 1);
    } else if (auto equals = line.find(" = "); equals != std::string::npos && line[0] != '#') {
      keys.emplace_back(section, line.substr(0, equals));
    }
  }
  return keys;
}

std::string env_name(const std::string& section, const std::string& key) {
  std::string name = "SSE_" + section + "_" + key;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// A file that sets every key to something other than its default.
constexpr std::string_view kEveryKey = R"([server]
host = "0.0.0.0"
port = 4000
threads = 8
writer_threads = 3
request_timeout = "2s"
body_timeout = "3s"
keepalive_timeout = "45s"
max_queued_requests = 99
max_head_bytes = 4096
max_url_bytes = 2048
max_header_fields = 50
max_http_connections = 500

[auth]
demo_tokens = false
jwt_secret_file = "/etc/sse/secret"
jwt_public_key_file = "/etc/sse/key.pem"

[limits]
max_connections = 50
max_connections_per_user = 2
idle_timeout = 0
heartbeat_interval = "250ms"
status_interval = "1m"
retry = "10s"
max_body_bytes = 1024
publish_rate = 2.5
publish_burst = 7
max_queued_events = 16
max_queued_bytes = 65536
max_queued_bytes_total = 1048576
max_anonymous_connections = 10

[history]
backend = "sqlite"
path = "/var/lib/sse/events.db"
max_events = 500
max_age = "2h"
sync = "normal"

[chat]
private_rooms = { ops = ["admin"], "vip.lounge" = ["admin", "vip"] }

[cors]
allowed_origins = ["https://a.example", "https://b.example"]

[log]
level = "debug"
format = "json"
access_log = false

[redis]
url = "redis://app@cache:6380/2"
password_file = "/etc/sse/redis-password"
key_prefix = "staging/sse:"
node_ttl = "30s"
)";

void check_every_key(const sse::Config& c) {
  CHECK(c.server.host == "0.0.0.0");
  CHECK(c.server.port == 4000);
  CHECK(c.server.threads == 8);
  CHECK(c.server.writer_threads == 3);
  CHECK(c.server.request_timeout == 2s);
  CHECK(c.server.body_timeout == 3s);
  CHECK(c.server.keepalive_timeout == 45s);
  CHECK(c.server.max_queued_requests == 99);
  CHECK(c.server.max_head_bytes == 4096);
  CHECK(c.server.max_url_bytes == 2048);
  CHECK(c.server.max_header_fields == 50);
  CHECK(c.server.max_http_connections == 500);
  CHECK_FALSE(c.auth.demo_tokens);
  CHECK(c.auth.demo_tokens_explicit);
  CHECK(c.auth.jwt_secret.empty());
  CHECK(c.auth.jwt_secret_file == "/etc/sse/secret");
  CHECK(c.auth.jwt_public_key_file == "/etc/sse/key.pem");
  CHECK(c.limits.max_connections == 50);
  CHECK(c.limits.max_connections_per_user == 2);
  CHECK(c.limits.idle_timeout == 0ms);
  CHECK(c.limits.heartbeat_interval == 250ms);
  CHECK(c.limits.status_interval == 1min);
  CHECK(c.limits.retry == 10s);
  CHECK(c.limits.max_body_bytes == 1024);
  CHECK(c.limits.publish_rate == 2.5);
  CHECK(c.limits.publish_burst == 7);
  CHECK(c.limits.max_queued_events == 16);
  CHECK(c.limits.max_queued_bytes == 65536);
  CHECK(c.limits.max_queued_bytes_total == 1048576);
  CHECK(c.limits.max_anonymous_connections == 10);
  CHECK(c.history.backend == "sqlite");
  CHECK(c.history.path == "/var/lib/sse/events.db");
  CHECK(c.history.max_events == 500);
  CHECK(c.history.max_age == 2h);
  CHECK(c.history.sync == "normal");
  CHECK(c.chat.private_rooms == std::map<std::string, std::vector<std::string>>{
                                    {"ops", {"admin"}}, {"vip.lounge", {"admin", "vip"}}});
  CHECK(c.cors.allowed_origins ==
        std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(c.log.level == "debug");
  CHECK(c.log.format == "json");
  CHECK_FALSE(c.log.access_log);
  CHECK(c.redis.url == "redis://app@cache:6380/2");
  CHECK(c.redis.password_file == "/etc/sse/redis-password");
  CHECK(c.redis.key_prefix == "staging/sse:");
  CHECK(c.redis.node_ttl == 30s);
}

}  // namespace

TEST_CASE("built-in defaults are the spec's", "[config]") {
  const sse::Config c;
  CHECK(c.server.host == "127.0.0.1");
  CHECK(c.server.port == 3000);
  CHECK(c.server.threads == 16);
  CHECK(c.server.writer_threads == 0);
  CHECK(c.server.request_timeout == 10s);
  CHECK(c.server.body_timeout == 10s);
  CHECK(c.server.keepalive_timeout == 30s);
  CHECK(c.server.max_queued_requests == 16384);
  CHECK(c.server.max_head_bytes == 32768);
  CHECK(c.server.max_url_bytes == 8192);
  CHECK(c.server.max_header_fields == 100);
  CHECK(c.server.max_http_connections == 16384);
  CHECK(c.auth.demo_tokens);
  CHECK_FALSE(c.auth.demo_tokens_explicit);
  CHECK(c.limits.max_connections == 1000);
  CHECK(c.limits.max_connections_per_user == 5);
  CHECK(c.limits.idle_timeout == 5min);
  CHECK(c.limits.heartbeat_interval == 30s);
  CHECK(c.limits.status_interval == 5s);
  CHECK(c.limits.retry == 3s);
  CHECK(c.limits.max_body_bytes == 65536);
  CHECK(c.limits.publish_rate == 20);
  CHECK(c.limits.publish_burst == 40);
  CHECK(c.limits.max_queued_events == 1024);
  CHECK(c.limits.max_queued_bytes == 1024 * 1024);
  CHECK(c.limits.max_queued_bytes_total == int64_t{256} * 1024 * 1024);
  CHECK(c.limits.max_anonymous_connections == 100);
  CHECK(c.history.backend == "sqlite");
  CHECK(c.history.max_events == 100000);
  CHECK(c.history.max_age == 24h);
  CHECK(c.history.sync == "full");
  CHECK(c.chat.private_rooms.at("ops") == std::vector<std::string>{"admin"});
  CHECK(c.cors.allowed_origins == std::vector<std::string>{"*"});
  CHECK(c.log.level == "info");
  CHECK(c.redis.url == "redis://127.0.0.1:6379");
  CHECK(c.redis.password_file.empty());
  CHECK(c.redis.key_prefix == "sse:");
  CHECK(c.redis.node_ttl == 10s);
}

TEST_CASE("no file and no environment give the built-in defaults", "[config]") {
  const auto config = load_ok(std::nullopt);
  CHECK(config == sse::Config{});
  CHECK(config.source == "built-in defaults");
  CHECK_FALSE(config.auth.demo_tokens_explicit);
}

TEST_CASE("the shipped config/sse-server.toml equals the built-in defaults", "[config]") {
  const auto config = load_ok(kShippedConfig);
  sse::Config expected;
  expected.auth.demo_tokens_explicit = true;  // the file sets demo_tokens
  expected.source = kShippedConfig;
  CHECK(config.server == expected.server);
  CHECK(config.auth == expected.auth);
  CHECK(config.limits == expected.limits);
  CHECK(config.history == expected.history);
  CHECK(config.chat == expected.chat);
  CHECK(config.cors == expected.cors);
  CHECK(config.log == expected.log);
  CHECK(config.redis == expected.redis);
  CHECK(config == expected);
}

TEST_CASE("the shipped file and the man page cover every key", "[config]") {
  const auto keys = keys_of(sse::to_toml(sse::Config{}));
  REQUIRE(keys.size() >= 30);
  const std::string shipped = read_text(kShippedConfig);
  const std::string man = read_text(kManPage);
  for (const auto& [section, key] : keys) {
    INFO(section << "." << key);
    CHECK_THAT(shipped, Contains("\n" + key + " ="));  // set (not only mentioned) in the file
    CHECK_THAT(man, Contains(key));
    CHECK_THAT(man, Contains(env_name(section, key)));
  }
}

TEST_CASE("an empty file gives the defaults, sourced from the file", "[config]") {
  TempFile file("# nothing here\n");
  const auto config = load_ok(file.path());
  CHECK(config.source == file.path());
  CHECK(config.server == sse::Config{}.server);
  CHECK(config.limits == sse::Config{}.limits);
  CHECK_FALSE(config.auth.demo_tokens_explicit);
}

TEST_CASE("every key is read from the file", "[config]") {
  TempFile file(kEveryKey);
  check_every_key(load_ok(file.path()));
}

TEST_CASE("the file accepts the other spellings TOML allows", "[config]") {
  TempFile file(R"(
server.port = 0
[limits]
idle_timeout = 60          # an integer is seconds
heartbeat_interval = "1"   # so is a bare number
publish_rate = 3           # an integer where a float goes
[chat.private_rooms]
staff = ["admin", "staff"]
)");
  const auto config = load_ok(file.path());
  CHECK(config.server.port == 0);
  CHECK(config.limits.idle_timeout == 60s);
  CHECK(config.limits.heartbeat_interval == 1s);
  CHECK(config.limits.publish_rate == 3.0);
  // The table replaces the default rooms: "ops" is open now.
  CHECK(config.chat.private_rooms ==
        std::map<std::string, std::vector<std::string>>{{"staff", {"admin", "staff"}}});
}

TEST_CASE("an empty private_rooms table leaves every room open", "[config]") {
  TempFile file("[chat]\nprivate_rooms = {}\n[cors]\nallowed_origins = []\n");
  const auto config = load_ok(file.path());
  CHECK(config.chat.private_rooms.empty());
  CHECK(config.cors.allowed_origins.empty());
}

TEST_CASE("the environment beats the file", "[config]") {
  TempFile file("[server]\nport = 4000\nhost = \"10.0.0.1\"\n[limits]\nidle_timeout = \"1m\"\n");
  const auto config =
      load_ok(file.path(), {{"SSE_SERVER_PORT", "5000"}, {"SSE_LIMITS_IDLE_TIMEOUT", "2s"}});
  CHECK(config.server.port == 5000);
  CHECK(config.limits.idle_timeout == 2s);
  CHECK(config.server.host == "10.0.0.1");  // not in the environment: the file's
}

TEST_CASE("environment values are parsed per the key's type", "[config]") {
  const auto config =
      load_ok(std::nullopt, {
                                {"SSE_SERVER_HOST", "0.0.0.0"},
                                {"SSE_SERVER_THREADS", "4"},
                                {"SSE_SERVER_REQUEST_TIMEOUT", "7"},
                                {"SSE_AUTH_DEMO_TOKENS", "no"},
                                {"SSE_AUTH_JWT_SECRET", "s3cret"},
                                {"SSE_LIMITS_HEARTBEAT_INTERVAL", "1s"},
                                {"SSE_LIMITS_MAX_BODY_BYTES", "2048"},
                                {"SSE_LIMITS_PUBLISH_RATE", "0.5"},
                                {"SSE_HISTORY_MAX_AGE", "90m"},
                                {"SSE_CHAT_PRIVATE_ROOMS", "ops=admin; vip=admin,vip;"},
                                {"SSE_CORS_ALLOWED_ORIGINS", "https://a, https://b"},
                                {"SSE_LOG_ACCESS_LOG", "0"},
                                {"SSE_LOG_FORMAT", "json"},
                            });
  CHECK(config.server.host == "0.0.0.0");
  CHECK(config.server.threads == 4);
  CHECK(config.server.request_timeout == 7s);
  CHECK_FALSE(config.auth.demo_tokens);
  CHECK(config.auth.demo_tokens_explicit);
  CHECK(config.auth.jwt_secret == "s3cret");
  CHECK(config.limits.heartbeat_interval == 1s);
  CHECK(config.limits.max_body_bytes == 2048);
  CHECK(config.limits.publish_rate == 0.5);
  CHECK(config.history.max_age == 90min);
  CHECK(config.chat.private_rooms == std::map<std::string, std::vector<std::string>>{
                                         {"ops", {"admin"}}, {"vip", {"admin", "vip"}}});
  CHECK(config.cors.allowed_origins == std::vector<std::string>{"https://a", "https://b"});
  CHECK_FALSE(config.log.access_log);
  CHECK(config.log.format == "json");
}

TEST_CASE("environment bools accept true/false/1/0/yes/no", "[config]") {
  for (const auto& [text, value] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                             {"1", true},
                                                                             {"yes", true},
                                                                             {"TRUE", true},
                                                                             {"false", false},
                                                                             {"0", false},
                                                                             {"no", false},
                                                                             {"No", false}}) {
    INFO(text);
    CHECK(load_ok(std::nullopt, {{"SSE_LOG_ACCESS_LOG", text}}).log.access_log == value);
  }
}

TEST_CASE("empty environment lists clear them", "[config]") {
  const auto config =
      load_ok(std::nullopt, {{"SSE_CHAT_PRIVATE_ROOMS", ""}, {"SSE_CORS_ALLOWED_ORIGINS", ""}});
  CHECK(config.chat.private_rooms.empty());
  CHECK(config.cors.allowed_origins.empty());
}

TEST_CASE("other environment variables are ignored", "[config]") {
  const auto config = load_ok(std::nullopt, {
                                                {"PATH", "/usr/bin"},
                                                {"SSECTL_SERVER", "http://x"},
                                                {"SSE_SOURCE_DIR", "/src"},  // unknown section
                                                {"SSE_SERVER", "x"},         // no key
                                                {"SSE_", "x"},
                                                {"sse_server_port", "1"},  // not upper case
                                                {"XSSE_SERVER_PORT", "1"},
                                            });
  CHECK(config == sse::Config{});
}

TEST_CASE("an unknown key in a known section of the environment is an error", "[config]") {
  const auto message = load_error(std::nullopt, {{"SSE_LIMITS_IDLE_TIMOUT", "5m"}});
  CHECK_THAT(message, Contains("environment variable SSE_LIMITS_IDLE_TIMOUT") &&
                          Contains("limits.idle_timout") && Contains("idle_timeout"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_AUTH_DEMO_TOKENS_EXPLICIT", "1"}}),
             Contains("auth.demo_tokens_explicit"));
}

TEST_CASE("command-line overrides beat the environment and the file", "[config]") {
  TempFile file("[server]\nport = 4000\nhost = \"10.0.0.1\"\n");
  const auto config = load_ok(file.path(), {{"SSE_SERVER_PORT", "5000"}, {"SSE_SERVER_HOST", "h"}},
                              {.host = "0.0.0.0", .port = 6000});
  CHECK(config.server.port == 6000);
  CHECK(config.server.host == "0.0.0.0");

  const auto port_only = load_ok(std::nullopt, {{"SSE_SERVER_HOST", "h"}}, {.port = 0});
  CHECK(port_only.server.port == 0);
  CHECK(port_only.server.host == "h");
}

TEST_CASE("bad command-line overrides name the flag", "[config]") {
  CHECK_THAT(load_error(std::nullopt, {}, {.port = 70000}),
             Contains("command line --port") && Contains("server.port") && Contains("70000"));
  CHECK_THAT(load_error(std::nullopt, {}, {.port = -1}), Contains("command line --port"));
  CHECK_THAT(load_error(std::nullopt, {}, {.host = ""}),
             Contains("command line --host") && Contains("server.host"));
}

TEST_CASE("an unreadable file is an error naming it", "[config]") {
  const std::string missing =
      (std::filesystem::temp_directory_path() / "sse_config_test_does_not_exist.toml").string();
  CHECK_THAT(load_error(missing), Contains(missing) && Contains("No such file"));
  const std::string directory = std::filesystem::temp_directory_path().string();
  CHECK_THAT(load_error(directory), Contains(directory) && Contains("directory"));
}

TEST_CASE("file errors name the key, the file and the line", "[config]") {
  struct Case {
    std::string toml;
    int line;
    std::string key;  // what the message must name
    std::string problem;
  };
  const std::vector<Case> cases = {
      // TOML syntax
      {"[server]\nport = = 3\n", 2, "TOML syntax error", ""},
      {"# ok\n[server\n", 2, "TOML syntax error", ""},
      {"[server]\nport = 1\nport = 2\n", 3, "TOML syntax error", ""},
      // unknown section or key
      {"\n[bogus]\nx = 1\n", 2, "[bogus]", "unknown section"},
      {"[server]\nbogus = 1\n", 2, "server.bogus", "unknown key"},
      {"[limits]\nidle = \"5m\"\n", 2, "limits.idle", "idle_timeout"},
      {"[server.extra]\nx = 1\n", 1, "server.extra", "unknown key"},
      // wrong type
      {"server = 5\n", 1, "[server]", "expected a [server] table"},
      {"[server]\nport = \"3000\"\n", 2, "server.port", "expected an integer, got a string"},
      {"[server]\nthreads = 1.5\n", 2, "server.threads", "got a float"},
      {"[server]\nhost = 127\n", 2, "server.host", "expected a string"},
      {"[auth]\ndemo_tokens = \"yes\"\n", 2, "auth.demo_tokens", "expected true or false"},
      {"[limits]\nidle_timeout = true\n", 2, "limits.idle_timeout", "got a boolean"},
      {"[limits]\npublish_rate = \"fast\"\n", 2, "limits.publish_rate", "expected a number"},
      {"[cors]\nallowed_origins = \"*\"\n", 2, "cors.allowed_origins", "expected an array"},
      {"[cors]\nallowed_origins = [\"a\", 1]\n", 2, "cors.allowed_origins", "got an integer"},
      {"[cors]\nallowed_origins = [\"\"]\n", 2, "cors.allowed_origins", "empty"},
      {"[chat]\nprivate_rooms = [\"ops\"]\n", 2, "chat.private_rooms", "expected a table"},
      {"[chat]\nprivate_rooms = { ops = \"admin\" }\n", 2, "chat.private_rooms", "\"ops\""},
      // out of range
      {"[server]\nport = 70000\n", 2, "server.port", "between 0 and 65535, got 70000"},
      {"[server]\nport = -1\n", 2, "server.port", "between 0 and 65535"},
      {"[server]\nthreads = 0\n", 2, "server.threads", "between 1 and 1024"},
      {"[server]\nwriter_threads = 2000\n", 2, "server.writer_threads", "between 0 and 1024"},
      {"[server]\nmax_queued_requests = 0\n", 2, "server.max_queued_requests", "at least 1"},
      {"[server]\nmax_head_bytes = 1023\n", 2, "server.max_head_bytes",
       "between 1024 and 1048576, got 1023"},
      {"[server]\nmax_head_bytes = 1048577\n", 2, "server.max_head_bytes",
       "between 1024 and 1048576, got 1048577"},
      {"[server]\nmax_url_bytes = 63\n", 2, "server.max_url_bytes", "between 64 and"},
      {"[server]\nmax_header_fields = 0\n", 2, "server.max_header_fields",
       "between 1 and 10000, got 0"},
      {"[server]\nmax_header_fields = 10001\n", 2, "server.max_header_fields",
       "between 1 and 10000"},
      {"[server]\nmax_http_connections = 0\n", 2, "server.max_http_connections", "at least 1"},
      {"[server]\nmax_http_connections = 3000000000\n", 2, "server.max_http_connections",
       "3000000000"},
      {"[limits]\nmax_queued_bytes = 4095\n", 2, "limits.max_queued_bytes",
       "at least 4096, got 4095"},
      {"[limits]\nmax_queued_bytes_total = 4095\n", 2, "limits.max_queued_bytes_total",
       "at least 4096"},
      {"[limits]\nmax_anonymous_connections = -1\n", 2, "limits.max_anonymous_connections",
       "at least 0, got -1"},
      {"[server]\nhost = \"\"\n", 2, "server.host", "must not be empty"},
      {"[limits]\nmax_connections = 0\n", 2, "limits.max_connections", "at least 1"},
      {"[limits]\nmax_connections = 3000000000\n", 2, "limits.max_connections", "3000000000"},
      {"[limits]\nmax_connections_per_user = 0\n", 2, "limits.max_connections_per_user", "1"},
      {"[limits]\nmax_body_bytes = 0\n", 2, "limits.max_body_bytes", "between 1"},
      {"[limits]\npublish_rate = 0\n", 2, "limits.publish_rate", "greater than 0"},
      {"[limits]\npublish_rate = nan\n", 2, "limits.publish_rate", "greater than 0"},
      {"[limits]\npublish_burst = 0\n", 2, "limits.publish_burst", "at least 1"},
      {"[limits]\nmax_queued_events = 0\n", 2, "limits.max_queued_events", "at least 1"},
      {"[history]\nmax_events = 0\n", 2, "history.max_events", "at least 1"},
      // durations
      {"[limits]\nidle_timeout = \"5x\"\n", 2, "limits.idle_timeout", "unknown unit \"x\""},
      {"[limits]\nidle_timeout = -1\n", 2, "limits.idle_timeout", "negative"},
      {"[limits]\nidle_timeout = \"-1s\"\n", 2, "limits.idle_timeout", "negative"},
      {"[limits]\nheartbeat_interval = \"0s\"\n", 2, "limits.heartbeat_interval", "greater than 0"},
      {"[limits]\nstatus_interval = 0\n", 2, "limits.status_interval", "greater than 0"},
      {"[limits]\nretry = \"0\"\n", 2, "limits.retry", "greater than 0"},
      {"[server]\nrequest_timeout = \"soon\"\n", 2, "server.request_timeout", "\"soon\""},
      {"[server]\nbody_timeout = \"0s\"\n", 2, "server.body_timeout", "greater than 0"},
      {"[server]\nbody_timeout = true\n", 2, "server.body_timeout", "got a boolean"},
      {"[server]\nkeepalive_timeout = 0\n", 2, "server.keepalive_timeout", "greater than 0"},
      {"[server]\nkeepalive_timeout = \"5x\"\n", 2, "server.keepalive_timeout", "unknown unit"},
      {"[limits]\nretry = \"25h\"\n", 2, "limits.retry", "at most 24h, got 25h"},
      {"[limits]\nretry = 86401\n", 2, "limits.retry", "at most 24h"},
      {"[history]\nmax_age = \"0ms\"\n", 2, "history.max_age", "greater than 0"},
      {"[history]\nmax_age = 9223372036854775807\n", 2, "history.max_age", "too large"},
      // enums
      {"[history]\nbackend = \"postgres\"\n", 2, "history.backend", "memory, sqlite, redis"},
      {"[log]\nlevel = \"verbose\"\n", 2, "log.level", "trace, debug, info, warn, error"},
      {"[log]\nformat = \"xml\"\n", 2, "log.format", "text, json"},
      {"[redis]\nurl = \"http://x\"\n", 2, "redis.url", "redis://"},
      {"[redis]\nurl = \"redis://cache:0\"\n", 2, "redis.url", "port must be between 1 and"},
      {"[redis]\nurl = \"redis://cache/x\"\n", 2, "redis.url", "not a non-negative integer"},
      {"[redis]\nurl = \"redis://[::1\"\n", 2, "redis.url", "unbalanced brackets"},
      {"[redis]\nurl = 6379\n", 2, "redis.url", "expected a string"},
      {"[redis]\nkey_prefix = \"\"\n", 2, "redis.key_prefix", "1 to 64 bytes, got 0"},
      {"[redis]\nkey_prefix = \"my app:\"\n", 2, "redis.key_prefix", "got \"my app:\""},
      {"[redis]\nkey_prefix = \"a\\tb\"\n", 2, "redis.key_prefix", "printable ASCII"},
      {"[redis]\nkey_prefix = \"caf\u00e9:\"\n", 2, "redis.key_prefix", "printable ASCII"},
      {"[redis]\nnode_ttl = \"999ms\"\n", 2, "redis.node_ttl", "at least 1s, got 999ms"},
      {"[redis]\nnode_ttl = 0\n", 2, "redis.node_ttl", "at least 1s, got 0s"},
      {"[redis]\nnode_ttl = \"61m\"\n", 2, "redis.node_ttl", "at most 1h, got 61m"},
      {"[redis]\nnode_ttl = 3601\n", 2, "redis.node_ttl", "at most 1h"},
      {"[redis]\nnode_ttl = \"soon\"\n", 2, "redis.node_ttl", "\"soon\""},
      // rooms
      {"[chat]\nprivate_rooms = { \"bad room\" = [\"admin\"] }\n", 2, "chat.private_rooms",
       "invalid room name \"bad room\""},
      {"[chat]\nprivate_rooms = { ops = [] }\n", 2, "chat.private_rooms", "names no role"},
      // combinations
      {"[history]\nbackend = \"sqlite\"\npath = \"\"\n", 3, "history.path", "sqlite"},
      // lines are counted past comments and blank lines
      {"# comment\n[server]\nhost = \"x\"\n\n[limits]\nretry = \"1y\"\n", 6, "limits.retry",
       "unknown unit"},
  };
  for (const auto& c : cases) {
    TempFile file(c.toml);
    INFO("file:\n" << c.toml);
    const auto message = load_error(file.path());
    INFO("message: " << message);
    CHECK_THAT(message, Contains(fmt::format("{}:{}:", file.path(), c.line)));
    CHECK_THAT(message, Contains(c.key));
    CHECK_THAT(message, Contains(c.problem));
  }
}

TEST_CASE("environment errors name the key and the variable", "[config]") {
  struct Case {
    std::string variable;
    std::string value;
    std::string key;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"SSE_SERVER_PORT", "abc", "server.port", "expected an integer, got \"abc\""},
      {"SSE_SERVER_PORT", "", "server.port", "expected an integer"},
      {"SSE_SERVER_PORT", "80 ", "server.port", "expected an integer"},
      {"SSE_SERVER_PORT", "70000", "server.port", "between 0 and 65535"},
      {"SSE_SERVER_THREADS", "0", "server.threads", "between 1 and 1024"},
      {"SSE_SERVER_HOST", "", "server.host", "must not be empty"},
      {"SSE_SERVER_BODY_TIMEOUT", "0", "server.body_timeout", "greater than 0"},
      {"SSE_SERVER_KEEPALIVE_TIMEOUT", "soon", "server.keepalive_timeout", "\"soon\""},
      {"SSE_SERVER_MAX_HEAD_BYTES", "100", "server.max_head_bytes", "between 1024 and 1048576"},
      {"SSE_SERVER_MAX_URL_BYTES", "10", "server.max_url_bytes", "between 64 and"},
      {"SSE_SERVER_MAX_HEADER_FIELDS", "many", "server.max_header_fields", "expected an integer"},
      {"SSE_SERVER_MAX_HTTP_CONNECTIONS", "0", "server.max_http_connections", "at least 1"},
      {"SSE_LIMITS_RETRY", "100000s", "limits.retry", "at most 24h"},
      {"SSE_LIMITS_MAX_QUEUED_BYTES", "1024", "limits.max_queued_bytes", "at least 4096"},
      {"SSE_LIMITS_MAX_QUEUED_BYTES_TOTAL", "-1", "limits.max_queued_bytes_total", "at least 4096"},
      {"SSE_LIMITS_MAX_ANONYMOUS_CONNECTIONS", "1.5", "limits.max_anonymous_connections",
       "expected an integer"},
      {"SSE_AUTH_DEMO_TOKENS", "maybe", "auth.demo_tokens", "\"maybe\""},
      {"SSE_LIMITS_IDLE_TIMEOUT", "5x", "limits.idle_timeout", "unknown unit"},
      {"SSE_LIMITS_HEARTBEAT_INTERVAL", "0", "limits.heartbeat_interval", "greater than 0"},
      {"SSE_LIMITS_PUBLISH_RATE", "fast", "limits.publish_rate", "expected a number"},
      {"SSE_LIMITS_PUBLISH_RATE", "-1", "limits.publish_rate", "greater than 0"},
      {"SSE_HISTORY_BACKEND", "postgres", "history.backend", "memory, sqlite, redis"},
      {"SSE_HISTORY_MAX_EVENTS", "0", "history.max_events", "at least 1"},
      {"SSE_LOG_LEVEL", "verbose", "log.level", "one of"},
      {"SSE_LOG_FORMAT", "xml", "log.format", "one of"},
      {"SSE_CHAT_PRIVATE_ROOMS", "bad room=admin", "chat.private_rooms", "invalid room name"},
      {"SSE_CHAT_PRIVATE_ROOMS", "ops", "chat.private_rooms", "room=role"},
      {"SSE_CHAT_PRIVATE_ROOMS", "ops=", "chat.private_rooms", "names no role"},
      {"SSE_CHAT_PRIVATE_ROOMS", "ops=admin;ops=user", "chat.private_rooms", "twice"},
      {"SSE_REDIS_URL", "cache:6379", "redis.url", "must start with \"redis://\""},
      {"SSE_REDIS_URL", "redis://cache:6379?db=1", "redis.url", "a query or fragment"},
      {"SSE_REDIS_KEY_PREFIX", "", "redis.key_prefix", "1 to 64 bytes"},
      {"SSE_REDIS_KEY_PREFIX", "a b", "redis.key_prefix", "without spaces"},
      {"SSE_REDIS_NODE_TTL", "500ms", "redis.node_ttl", "at least 1s"},
      {"SSE_REDIS_NODE_TTL", "2h", "redis.node_ttl", "at most 1h"},
      {"SSE_REDIS_NODE_TTL", "1.5s", "redis.node_ttl", "\"1.5s\""},
  };
  for (const auto& c : cases) {
    INFO(c.variable << "=" << c.value);
    const auto message = load_error(std::nullopt, {{c.variable, c.value}});
    INFO("message: " << message);
    CHECK_THAT(message, Contains("environment variable " + c.variable));
    CHECK_THAT(message, Contains(c.key));
    CHECK_THAT(message, Contains(c.problem));
  }
}

TEST_CASE("the HTTP edge keys are read from the environment", "[config]") {
  const auto config = load_ok(std::nullopt, {
                                                {"SSE_SERVER_BODY_TIMEOUT", "1500ms"},
                                                {"SSE_SERVER_KEEPALIVE_TIMEOUT", "2m"},
                                                {"SSE_SERVER_MAX_HEAD_BYTES", "1048576"},
                                                {"SSE_SERVER_MAX_URL_BYTES", "64"},
                                                {"SSE_SERVER_MAX_HEADER_FIELDS", "10000"},
                                                {"SSE_SERVER_MAX_HTTP_CONNECTIONS", "1"},
                                                {"SSE_LIMITS_MAX_QUEUED_BYTES", "4096"},
                                                {"SSE_LIMITS_MAX_QUEUED_BYTES_TOTAL", "4096"},
                                                {"SSE_LIMITS_MAX_ANONYMOUS_CONNECTIONS", "0"},
                                                {"SSE_LIMITS_RETRY", "24h"},
                                            });
  CHECK(config.server.body_timeout == 1500ms);
  CHECK(config.server.keepalive_timeout == 2min);
  CHECK(config.server.max_head_bytes == 1048576);
  CHECK(config.server.max_url_bytes == 64);
  CHECK(config.server.max_header_fields == 10000);
  CHECK(config.server.max_http_connections == 1);
  CHECK(config.limits.max_queued_bytes == 4096);
  CHECK(config.limits.max_queued_bytes_total == 4096);
  CHECK(config.limits.max_anonymous_connections == 0);
  CHECK(config.limits.retry == 24h);
  // The environment beats the file for them too.
  TempFile file("[server]\nbody_timeout = \"1s\"\n[limits]\nmax_queued_bytes = 8192\n");
  const auto merged = load_ok(file.path(), {{"SSE_SERVER_BODY_TIMEOUT", "2s"}});
  CHECK(merged.server.body_timeout == 2s);
  CHECK(merged.limits.max_queued_bytes == 8192);
}

TEST_CASE("limits.retry is at most 24h, so that it fits the retry: line's milliseconds",
          "[config]") {
  TempFile day("[limits]\nretry = 86400\n");
  CHECK(load_ok(day.path()).limits.retry == 24h);
  CHECK(load_ok(std::nullopt, {{"SSE_LIMITS_RETRY", "86400000ms"}}).limits.retry == 24h);
  // 2^32 ms (about 49.7 days) would wrap to 0 as a uint32.
  CHECK_THAT(load_error(std::nullopt, {{"SSE_LIMITS_RETRY", "4294967296ms"}}),
             Contains("environment variable SSE_LIMITS_RETRY") && Contains("limits.retry") &&
                 Contains("must be at most 24h, got 4294967296ms"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_LIMITS_RETRY", "86400001ms"}}),
             Contains("limits.retry"));
}

TEST_CASE("a key bounded by another key: set beyond it, an error naming both", "[config]") {
  struct Case {
    std::string toml;
    Env env;
    std::string expected;  // the message, "@FILE@" standing for the file's path
  };
  const std::vector<Case> cases = {
      {"[server]\nmax_head_bytes = 4096\nmax_url_bytes = 8192\n",
       {},
       "@FILE@:3: server.max_url_bytes: must be at most server.max_head_bytes (4096, from "
       "@FILE@:2), got 8192"},
      {"[server]\nmax_url_bytes = 65536\n",
       {},
       "@FILE@:2: server.max_url_bytes: must be at most server.max_head_bytes (32768, from "
       "built-in default), got 65536"},
      {"[limits]\nmax_queued_bytes = 8192\nmax_queued_bytes_total = 4096\n",
       {},
       "@FILE@:3: limits.max_queued_bytes_total: must be at least limits.max_queued_bytes (8192, "
       "from @FILE@:2), got 4096"},
      {"",
       {{"SSE_LIMITS_MAX_QUEUED_BYTES_TOTAL", "1048575"}},
       "environment variable SSE_LIMITS_MAX_QUEUED_BYTES_TOTAL: limits.max_queued_bytes_total: "
       "must be at least limits.max_queued_bytes (1048576, from built-in default), got 1048575"},
      {"[limits]\nmax_anonymous_connections = 2000\n",
       {},
       "@FILE@:2: limits.max_anonymous_connections: must be at most limits.max_connections "
       "(1000, from built-in default), got 2000"},
      {"[limits]\nmax_anonymous_connections = 60\n",
       {{"SSE_LIMITS_MAX_CONNECTIONS", "50"}},
       "@FILE@:2: limits.max_anonymous_connections: must be at most limits.max_connections (50, "
       "from environment variable SSE_LIMITS_MAX_CONNECTIONS), got 60"},
  };
  for (const auto& c : cases) {
    TempFile file(c.toml);
    INFO("file:\n" << c.toml);
    const auto message = load_error(file.path(), c.env);
    std::string expected = c.expected;
    for (size_t at; (at = expected.find("@FILE@")) != std::string::npos;) {
      expected.replace(at, 6, file.path());
    }
    CHECK(message == expected);
  }
}

TEST_CASE("a bounded key left at its default follows its bound", "[config]") {
  // Lowering max_connections below the default of max_anonymous_connections
  // (100) lowers that too, instead of refusing a file that was valid before.
  const auto few = load_ok(std::nullopt, {{"SSE_LIMITS_MAX_CONNECTIONS", "3"}});
  CHECK(few.limits.max_connections == 3);
  CHECK(few.limits.max_anonymous_connections == 3);
  TempFile small_head("[server]\nmax_head_bytes = 4096\n");
  CHECK(load_ok(small_head.path()).server.max_url_bytes == 4096);
  TempFile big_queue("[limits]\nmax_queued_bytes = 536870912\n");
  CHECK(load_ok(big_queue.path()).limits.max_queued_bytes_total == 536870912);
  // Within the bound, the default stays.
  TempFile roomy("[limits]\nmax_connections = 5000\n[server]\nmax_head_bytes = 65536\n");
  const auto roomy_config = load_ok(roomy.path());
  CHECK(roomy_config.limits.max_anonymous_connections == 100);
  CHECK(roomy_config.server.max_url_bytes == 8192);
  // The edges are allowed.
  TempFile equal(
      "[server]\nmax_head_bytes = 4096\nmax_url_bytes = 4096\n"
      "[limits]\nmax_queued_bytes = 8192\nmax_queued_bytes_total = 8192\n"
      "max_connections = 7\nmax_anonymous_connections = 7\n");
  const auto config = load_ok(equal.path());
  CHECK(config.server.max_url_bytes == 4096);
  CHECK(config.limits.max_queued_bytes_total == 8192);
  CHECK(config.limits.max_anonymous_connections == 7);
}

TEST_CASE("history.sync is full unless set to normal, and nothing else", "[config]") {
  CHECK(load_ok(std::nullopt).history.sync == "full");
  TempFile normal("[history]\nsync = \"normal\"\n");
  CHECK(load_ok(normal.path()).history.sync == "normal");
  CHECK(load_ok(std::nullopt, {{"SSE_HISTORY_SYNC", "normal"}}).history.sync == "normal");
  CHECK(load_ok(normal.path(), {{"SSE_HISTORY_SYNC", "full"}}).history.sync == "full");
  // --print-config shows it in [history], after path.
  CHECK_THAT(sse::to_toml(sse::Config{}), Contains("\nsync = \"full\"\nmax_events = "));
  CHECK_THAT(sse::to_toml(load_ok(normal.path())), Contains("\nsync = \"normal\"\n"));

  TempFile off("[history]\nsync = \"off\"\n");
  CHECK_THAT(load_error(off.path()), Contains(off.path() + ":2:") && Contains("history.sync") &&
                                         Contains("one of full, normal; got \"off\""));
  TempFile number("[history]\nsync = 1\n");
  CHECK_THAT(load_error(number.path()), Contains(number.path() + ":2:") &&
                                            Contains("history.sync") &&
                                            Contains("expected a string"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_HISTORY_SYNC", "off"}}),
             Contains("environment variable SSE_HISTORY_SYNC") && Contains("history.sync") &&
                 Contains("one of full, normal"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_HISTORY_SYNC", ""}}), Contains("history.sync"));
}

TEST_CASE("auth.demo_tokens_explicit records that a source set demo_tokens", "[config]") {
  TempFile off("[auth]\ndemo_tokens = false\n");
  const auto from_file = load_ok(off.path());
  CHECK_FALSE(from_file.auth.demo_tokens);
  CHECK(from_file.auth.demo_tokens_explicit);

  const auto from_env = load_ok(std::nullopt, {{"SSE_AUTH_DEMO_TOKENS", "true"}});
  CHECK(from_env.auth.demo_tokens);
  CHECK(from_env.auth.demo_tokens_explicit);

  TempFile other("[auth]\njwt_secret = \"x\"\n");
  CHECK_FALSE(load_ok(other.path()).auth.demo_tokens_explicit);
}

TEST_CASE("a JWT secret and a secret file together are an error naming both sources", "[config]") {
  TempFile file("[auth]\n\njwt_secret = \"abc\"\n");
  const auto message = load_error(file.path(), {{"SSE_AUTH_JWT_SECRET_FILE", "/etc/secret"}});
  CHECK_THAT(message, Contains("auth.jwt_secret_file") && Contains("auth.jwt_secret ") &&
                          Contains("environment variable SSE_AUTH_JWT_SECRET_FILE") &&
                          Contains(file.path() + ":3"));
}

TEST_CASE("the redis keys are read from the environment", "[config]") {
  const auto config = load_ok(std::nullopt, {
                                                {"SSE_REDIS_URL", "redis://app@[::1]:6380/3"},
                                                {"SSE_REDIS_PASSWORD_FILE", "/run/secrets/redis"},
                                                {"SSE_REDIS_KEY_PREFIX", "eu-1/sse:"},
                                                {"SSE_REDIS_NODE_TTL", "1h"},
                                            });
  CHECK(config.redis.url == "redis://app@[::1]:6380/3");
  CHECK(config.redis.password_file == "/run/secrets/redis");
  CHECK(config.redis.key_prefix == "eu-1/sse:");
  CHECK(config.redis.node_ttl == 1h);
  // The environment beats the file for them too.
  TempFile file("[redis]\nkey_prefix = \"file:\"\nnode_ttl = \"5s\"\n");
  const auto merged = load_ok(file.path(), {{"SSE_REDIS_NODE_TTL", "1s"}});
  CHECK(merged.redis.key_prefix == "file:");
  CHECK(merged.redis.node_ttl == 1s);
}

TEST_CASE("redis.key_prefix and redis.node_ttl accept their edges and no more", "[config]") {
  const std::string longest(64, 'k');
  CHECK_THAT(load_error(std::nullopt, {{"SSE_REDIS_KEY_PREFIX", longest + "k"}}),
             Contains("redis.key_prefix: must be 1 to 64 bytes, got 65"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_REDIS_KEY_PREFIX", "sse:\x7f"}}),
             Contains("printable ASCII without spaces"));
  CHECK_THAT(load_error(std::nullopt, {{"SSE_REDIS_NODE_TTL", "3600001ms"}}),
             Contains("redis.node_ttl: must be at most 1h, got 3600001ms"));
  TempFile edges("[redis]\nkey_prefix = \"" + longest + "\"\nnode_ttl = \"1s\"\n");
  const auto low = load_ok(edges.path());
  CHECK(low.redis.key_prefix == longest);
  CHECK(low.redis.node_ttl == 1s);
  const auto high =
      load_ok(std::nullopt, {{"SSE_REDIS_KEY_PREFIX", "!~"}, {"SSE_REDIS_NODE_TTL", "3600"}});
  CHECK(high.redis.key_prefix == "!~");
  CHECK(high.redis.node_ttl == 1h);
}

TEST_CASE("a password in redis.url and redis.password_file together are an error naming both",
          "[config]") {
  TempFile file("[redis]\nurl = \"redis://app:hunter2@cache\"\n");
  const auto message = load_error(file.path(), {{"SSE_REDIS_PASSWORD_FILE", "/run/secrets/redis"}});
  CHECK(message ==
        "environment variable SSE_REDIS_PASSWORD_FILE: redis.password_file: set "
        "together with a password in redis.url (set by " +
            file.path() + ":2); set only one");
  CHECK_THAT(message, !Contains("hunter2"));
  // A user without a password, or an empty one, leaves the password to the file.
  for (std::string url : {"redis://app@cache", "redis://app:@cache", "redis://cache"}) {
    INFO(url);
    const auto config = load_ok(
        std::nullopt, {{"SSE_REDIS_URL", url}, {"SSE_REDIS_PASSWORD_FILE", "/run/secrets/redis"}});
    CHECK(config.redis.password_file == "/run/secrets/redis");
  }
}

TEST_CASE("redis.url errors never show its password", "[config]") {
  TempFile file("[redis]\nurl = \"redis://app:hunter2@cache:99999\"\n");
  const auto message = load_error(file.path());
  CHECK(message == file.path() +
                       ":2: redis.url: invalid Redis URL \"redis://app:***@cache:99999\": port "
                       "must be between 1 and 65535, got 99999");
  CHECK_THAT(load_error(std::nullopt, {{"SSE_REDIS_URL", "redis://:hunter2@cache?x=1"}}),
             Contains("environment variable SSE_REDIS_URL") && !Contains("hunter2"));
}

TEST_CASE("the first error stops loading: a bad file is reported before the environment",
          "[config]") {
  TempFile file("[server]\nport = 70000\n");
  const auto message = load_error(file.path(), {{"SSE_SERVER_PORT", "3000"}});
  CHECK_THAT(message, Contains(file.path() + ":2"));
}

TEST_CASE("to_toml writes every section in the shipped order", "[config]") {
  const std::string toml = sse::to_toml(sse::Config{});
  CHECK_THAT(toml, Contains("# sse-server configuration (from built-in defaults)"));
  CHECK_THAT(toml, Contains("[server]\nhost = \"127.0.0.1\"\nport = 3000\n"));
  CHECK_THAT(toml, Contains("idle_timeout = \"5m\"\n"));
  CHECK_THAT(toml, Contains("publish_rate = 20.0\n"));
  CHECK_THAT(toml, Contains("max_age = \"24h\"\n"));
  CHECK_THAT(toml, Contains("private_rooms = { ops = [\"admin\"] }\n"));
  CHECK_THAT(toml, Contains("allowed_origins = [\"*\"]\n"));
  CHECK_THAT(toml, Contains("[redis]\nurl = \"redis://127.0.0.1:6379\"\npassword_file = \"\"\n"
                            "key_prefix = \"sse:\"\nnode_ttl = \"10s\"\n"));
  std::vector<std::string> sections;
  for (const auto& [section, key] : keys_of(toml)) {
    if (sections.empty() || sections.back() != section) sections.push_back(section);
  }
  CHECK(sections == std::vector<std::string>{"server", "auth", "limits", "history", "chat", "cors",
                                             "log", "redis"});
}

TEST_CASE("to_toml output loads back to the same configuration", "[config]") {
  TempFile every_key(kEveryKey);
  for (auto config : {sse::Config{}, load_ok(every_key.path()),
                      load_ok(std::nullopt, {{"SSE_CORS_ALLOWED_ORIGINS", "a\"b,c\\d"},
                                             {"SSE_CHAT_PRIVATE_ROOMS", ""},
                                             {"SSE_LIMITS_PUBLISH_RATE", "0.1"}})}) {
    TempFile written(sse::to_toml(config));
    INFO(sse::to_toml(config));
    auto loaded = load_ok(written.path());
    config.source = written.path();
    config.auth.demo_tokens_explicit = true;  // to_toml writes demo_tokens
    CHECK(loaded == config);
  }
}

TEST_CASE("to_toml does not show the JWT secret", "[config]") {
  const auto config = load_ok(std::nullopt, {{"SSE_AUTH_JWT_SECRET", "hunter2"}});
  const std::string toml = sse::to_toml(config);
  CHECK_THAT(toml, !Contains("hunter2"));
  CHECK_THAT(toml, Contains("# jwt_secret is set"));
  TempFile written(toml);
  CHECK(load_ok(written.path()).auth.jwt_secret.empty());
}

TEST_CASE("to_toml writes redis.url with its password as three stars", "[config]") {
  const auto config = load_ok(std::nullopt, {{"SSE_REDIS_URL", "redis://app:hunter2@cache:6380/2"},
                                             {"SSE_REDIS_KEY_PREFIX", "a\"b:"}});
  const std::string toml = sse::to_toml(config);
  CHECK_THAT(toml, !Contains("hunter2"));
  CHECK_THAT(toml, Contains("\nurl = \"redis://app:***@cache:6380/2\"  # its password is set "
                            "(not shown)\n"));
  CHECK_THAT(toml, Contains("\nkey_prefix = \"a\\\"b:\"\n"));
  // Loaded back, it is the same but for the password.
  TempFile written(toml);
  auto loaded = load_ok(written.path());
  CHECK(loaded.redis.url == "redis://app:***@cache:6380/2");
  CHECK(loaded.redis.key_prefix == "a\"b:");
  // A URL without a password is written as it is, without the comment.
  const std::string plain =
      sse::to_toml(load_ok(std::nullopt, {{"SSE_REDIS_URL", "redis://app@c"}}));
  CHECK_THAT(plain, Contains("\nurl = \"redis://app@c\"\n") && !Contains("not shown"));
}

TEST_CASE("environment_map splits NAME=value entries", "[config]") {
  char a[] = "SSE_SERVER_PORT=4000";
  char b[] = "EQUALS=a=b";
  char c[] = "EMPTY=";
  char d[] = "NOVALUE";
  char* envp[] = {a, b, c, d, nullptr};
  CHECK(sse::environment_map(envp) ==
        Env{{"SSE_SERVER_PORT", "4000"}, {"EQUALS", "a=b"}, {"EMPTY", ""}, {"NOVALUE", ""}});
  CHECK(sse::environment_map(nullptr).empty());
}

TEST_CASE("is_valid_room_name accepts 1 to 64 letters, digits, '_', '.' and '-'", "[config]") {
  CHECK(sse::is_valid_room_name("ops"));
  CHECK(sse::is_valid_room_name("Room_1.general-chat"));
  CHECK(sse::is_valid_room_name(std::string(64, 'a')));
  CHECK_FALSE(sse::is_valid_room_name(std::string(65, 'a')));
  CHECK_FALSE(sse::is_valid_room_name(""));
  CHECK_FALSE(sse::is_valid_room_name("a b"));
  CHECK_FALSE(sse::is_valid_room_name("a/b"));
  CHECK_FALSE(sse::is_valid_room_name("caf\xc3\xa9"));
}
