// End-to-end: every error status as JSON, decided before any stream byte;
// connection limits, the publish rate limit, CORS, and start-up errors.

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

#include <signal.h>

#include <filesystem>
#include <thread>

using namespace e2e;
using namespace std::chrono_literals;

namespace {

void check_error(const HttpResponse& r, int status, const std::string& code) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.body.find(R"({"error":{"code":")" + code + "\"") == 0);
  CHECK(r.body.find("\"message\":") != std::string::npos);
}

}  // namespace

TEST_CASE("401 for missing, malformed and forged tokens, with WWW-Authenticate",
          "[server][errors]") {
  ServerProcess server;
  for (const std::string target :
       {"/notifications/stream", "/notifications/stream?token=not-base64!",
        "/chat/stream?token=Zm9v", "/realtime/stream?token=a.b.c"}) {
    SseClient stream(server.port(), target);
    INFO(target);
    CHECK(stream.status() == 401);
    CHECK(stream.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
    CHECK(stream.body().find("\"unauthorized\"") != std::string::npos);
    CHECK(stream.body().find("event:") == std::string::npos);
  }
  check_error(post_json(server.port(), "/chat/send", "", R"({"roomId":"a","message":"b"})"), 401,
              "unauthorized");
  auto basic =
      http(server.port(), "POST", "/chat/send", "{}",
           {{"Authorization", "Basic Zm9vOmJhcg=="}, {"Content-Type", "application/json"}});
  check_error(basic, 401, "unauthorized");
}

TEST_CASE("a token without the user or admin role gets 403 everywhere", "[server][errors]") {
  ServerProcess server;
  const std::string guest = user_token("guest", "viewer");
  SseClient stream(server.port(), "/notifications/stream?token=" + guest);
  CHECK(stream.status() == 403);
  CHECK(stream.body().find("neither the user nor the admin role") != std::string::npos);
  check_error(post_json(server.port(), "/chat/send", guest, R"({"roomId":"a","message":"b"})"), 403,
              "forbidden");
  SseClient status(server.port(), "/system/status/stream");  // public: no token, no role
  CHECK(status.status() == 200);
}

TEST_CASE("404, 405 with Allow, 415, 413 and 400 naming the field", "[server][errors]") {
  ServerProcess server({{"SSE_LIMITS_MAX_BODY_BYTES", "1024"}});
  check_error(http(server.port(), "GET", "/nope"), 404, "not_found");
  auto wrong_method = http(server.port(), "GET", "/chat/send");
  check_error(wrong_method, 405, "method_not_allowed");
  CHECK(wrong_method.header("Allow").find("POST") != std::string::npos);
  check_error(http(server.port(), "POST", "/health"), 405, "method_not_allowed");

  check_error(http(server.port(), "POST", "/chat/send", "roomId=a",
                   {{"Authorization", "Bearer " + kDemoToken}, {"Content-Type", "text/plain"}}),
              415, "unsupported_media_type");
  const std::string big = R"({"roomId":"a","message":")" + std::string(2000, 'x') + "\"}";
  check_error(post_json(server.port(), "/chat/send", kDemoToken, big), 413, "payload_too_large");
  // Chunked, with no Content-Length: still bounded.
  std::string chunked = "7d0\r\n" + std::string(2000, ' ') + "\r\n0\r\n\r\n";
  check_error(http(server.port(), "POST", "/chat/send", chunked,
                   {{"Authorization", "Bearer " + kDemoToken},
                    {"Content-Type", "application/json"},
                    {"Transfer-Encoding", "chunked"}}),
              413, "payload_too_large");

  check_error(post_json(server.port(), "/chat/send", kDemoToken, "{not json"), 400, "bad_request");
  check_error(post_json(server.port(), "/chat/send", kDemoToken, "[1,2]"), 400, "bad_request");
  auto missing = post_json(server.port(), "/chat/send", kDemoToken, R"({"roomId":"general"})");
  check_error(missing, 400, "bad_request");
  CHECK(missing.body.find("'message'") != std::string::npos);
  auto wrong_type =
      post_json(server.port(), "/notifications/send", kDemoToken, R"({"title":5,"message":"m"})");
  check_error(wrong_type, 400, "bad_request");
  CHECK(wrong_type.body.find("'title'") != std::string::npos);
  auto bad_kind = post_json(server.port(), "/notifications/send", kDemoToken,
                            R"({"title":"t","message":"m","type":"shout"})");
  check_error(bad_kind, 400, "bad_request");
  CHECK(bad_kind.body.find("'type'") != std::string::npos);
  check_error(post_json(server.port(), "/chat/send", kDemoToken,
                        "{\"roomId\":\"a\",\"message\":\"\xff\xfe\"}"),
              400, "bad_request");
  std::string deep(100, '[');
  check_error(post_json(server.port(), "/chat/send", kDemoToken,
                        R"({"roomId":"a","message":"m","x":)" + deep),
              400, "bad_request");
  // A bad Last-Event-ID is refused before the stream starts.
  SseClient stream(server.port(), "/notifications/stream?token=" + kDemoToken + "&lastEventId=abc");
  CHECK(stream.status() == 400);
  // The server is still fine.
  CHECK(http(server.port(), "GET", "/health").status == 200);
}

TEST_CASE("connection limits: per user and in all, 429 with Retry-After", "[server][limits]") {
  ServerProcess server(
      {{"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "2"}, {"SSE_LIMITS_MAX_CONNECTIONS", "3"}});
  auto a1 = std::make_unique<SseClient>(server.port(), "/realtime/stream?token=" + user_token("a"));
  SseClient a2(server.port(), "/realtime/stream?token=" + user_token("a"));
  REQUIRE(a1->status() == 200);
  REQUIRE(a2.status() == 200);
  SseClient a3(server.port(), "/realtime/stream?token=" + user_token("a"));
  CHECK(a3.status() == 429);
  CHECK(a3.header("Retry-After") == "5");  // a stream refused for a limit: come back in 5 s
  CHECK(a3.body().find("too_many_requests") != std::string::npos);
  SseClient b1(server.port(), "/realtime/stream?token=" + user_token("b"));
  REQUIRE(b1.status() == 200);
  SseClient c1(server.port(), "/system/status/stream");
  CHECK(c1.status() == 429);  // 3 open in all
  a1.reset();                 // closing one frees a place
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    SseClient again(server.port(), "/realtime/stream?token=" + user_token("a"));
    reopened = again.status() == 200;
    if (!reopened) std::this_thread::sleep_for(50ms);
  }
  CHECK(reopened);
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_rejections_total{reason=\"stream_limit_user\"} 1") != std::string::npos);
}

TEST_CASE("publishing is rate-limited per user", "[server][limits]") {
  // One token per 1000 s: no token comes back while the test runs, however
  // slowly it runs, so exactly the burst gets through.
  ServerProcess server({{"SSE_LIMITS_PUBLISH_RATE", "0.001"}, {"SSE_LIMITS_PUBLISH_BURST", "3"}});
  const std::string body = R"({"roomId":"general","message":"m"})";
  int accepted = 0;
  HttpResponse refused;
  for (int i = 0; i < 6; ++i) {
    auto r = post_json(server.port(), "/chat/send", user_token("alice"), body);
    if (r.status == 202) ++accepted;
    if (r.status == 429) refused = r;
  }
  CHECK(accepted == 3);
  check_error(refused, 429, "too_many_requests");
  // Retry-After: the whole seconds until the next token, at most 1/rate.
  const int retry_after = std::stoi(refused.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 1000);
  // Another user has a bucket of their own.
  CHECK(post_json(server.port(), "/chat/send", user_token("other"), body).status == 202);
}

TEST_CASE("CORS: allowed origins and preflight", "[server][cors]") {
  ServerProcess server({{"SSE_CORS_ALLOWED_ORIGINS", "https://app.example"}});
  auto preflight =
      http(server.port(), "OPTIONS", "/notifications/send", "",
           {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.header("Access-Control-Allow-Origin") == "https://app.example");
  CHECK(preflight.header("Access-Control-Allow-Methods").find("POST") != std::string::npos);
  CHECK(preflight.header("Access-Control-Allow-Headers").find("Authorization") !=
        std::string::npos);
  auto other = http(server.port(), "GET", "/health", "", {{"Origin", "https://evil.example"}});
  CHECK(other.status == 200);
  CHECK(other.header("Access-Control-Allow-Origin").empty());
  SseClient stream(server.port(), "/system/status/stream", {{"Origin", "https://app.example"}});
  CHECK(stream.header("Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE("start-up errors name the key and exit 78", "[server][config]") {
  TempDir dir;
  auto bad_env = run({server_bin(), "--port", "0"}, "", {{"SSE_LIMITS_IDLE_TIMEOUT", "soon"}});
  CHECK(bad_env.exit_code == 78);
  CHECK(bad_env.err.find("limits.idle_timeout") != std::string::npos);
  const std::string file = dir.file("bad.toml", "[server]\nprot = 3000\n");
  auto unknown = run({server_bin(), "--config", file});
  CHECK(unknown.exit_code == 78);
  CHECK(unknown.err.find("prot") != std::string::npos);
  CHECK(unknown.err.find(file) != std::string::npos);
  auto missing = run({server_bin(), "--config", dir.path().string() + "/nope.toml"});
  CHECK(missing.exit_code == 78);
  auto usage = run({server_bin(), "--bogus"});
  CHECK(usage.exit_code == 64);
  // Demo tokens on a public address need an explicit yes.
  auto public_demo = run({server_bin(), "--host", "0.0.0.0", "--port", "0"});
  CHECK(public_demo.exit_code == 78);
  CHECK(public_demo.err.find("auth.demo_tokens") != std::string::npos);
  // A database file that is not one stops start-up; it is never replaced.
  const std::string garbage = dir.file("events.db", std::string(8192, 'g'));
  auto corrupt = run({server_bin(), "--port", "0"}, "", {{"SSE_HISTORY_PATH", garbage}});
  CHECK(corrupt.exit_code == 78);
  CHECK(corrupt.err.find("history.path") != std::string::npos);
  CHECK(corrupt.err.find(garbage) != std::string::npos);
  CHECK(std::filesystem::file_size(garbage) == 8192);
  auto printed = run({server_bin(), "--print-config", "--port", "4321"});
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.find("port = 4321") != std::string::npos);
}

TEST_CASE("history.sync is printed, set by SSE_HISTORY_SYNC, and checked at start-up",
          "[server][config]") {
  auto defaults = run({server_bin(), "--print-config"});
  CHECK(defaults.exit_code == 0);
  CHECK(defaults.out.find("\nsync = \"full\"\n") != std::string::npos);
  auto normal = run({server_bin(), "--print-config"}, "", {{"SSE_HISTORY_SYNC", "normal"}});
  CHECK(normal.exit_code == 0);
  CHECK(normal.out.find("\nsync = \"normal\"\n") != std::string::npos);
  auto bad = run({server_bin(), "--print-config"}, "", {{"SSE_HISTORY_SYNC", "off"}});
  CHECK(bad.exit_code == 78);
  CHECK(bad.err.find("history.sync") != std::string::npos);
  CHECK(bad.err.find("SSE_HISTORY_SYNC") != std::string::npos);
  CHECK(bad.out.empty());
}

TEST_CASE("with history.sync = normal, events outlive a crash of the server", "[server][config]") {
  ServerProcess server({{"SSE_HISTORY_SYNC", "normal"}, {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  const std::string alice = user_token("alice");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = post_json(server.port(), "/realtime/update", alice,
                       R"({"entityType":"doc","entityId":")" + std::to_string(i) +
                           R"(","action":"update","data":null})");
    REQUIRE(r.status == 202);
    ids.push_back(json_string(r.body, "id"));
  }
  REQUIRE(server.stop(SIGKILL).has_value());
  server.restart();
  SseClient replay(server.port(), "/realtime/stream?lastEventId=0&token=" + alice);
  REQUIRE(replay.status() == 200);
  CHECK(replay.header("X-SSE-Replay") == "complete");
  const auto last = replay.wait_for_id(ids.back());
  REQUIRE(last.has_value());
  CHECK(*last == 2);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(replay.events()[i].last_event_id == ids[i]);
}

TEST_CASE("an auth.jwt_public_key_file that is not a PEM public key stops start-up with 78",
          "[server][config][auth]") {
  TempDir dir;
  const std::string keys = std::string(SSE_SOURCE_DIR) + "/tests/fixtures/keys/";
  struct Case {
    std::string what;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"a text file", dir.file("notes.txt", "this is not a key\n")},
      {"a PEM header around garbage",
       dir.file("broken.pem", "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n"
                              "-----END PUBLIC KEY-----\n")},
      {"the private key instead of the public one", keys + "rs256_private.pem"},
      {"a missing file", (dir.path() / "missing.pem").string()},
      {"an empty file", dir.file("empty.pem", "")},
      {"a directory", dir.path().string()},
      {"a device", "/dev/null"},
  };
  for (const auto& c : cases) {
    INFO(c.what << ": " << c.path);
    // The port is free and the database fine: only the key can stop it.
    auto started = run({server_bin(), "--port", "0"}, "",
                       {{"SSE_AUTH_JWT_PUBLIC_KEY_FILE", c.path},
                        {"SSE_HISTORY_PATH", (dir.path() / "events.db").string()}},
                       std::chrono::seconds(20));
    INFO(started.err);
    CHECK(started.exit_code == 78);
    CHECK(started.err.find("auth.jwt_public_key_file") != std::string::npos);
    CHECK(started.out.find("listening") == std::string::npos);
  }
  // The control: the fixture's public key starts the server.
  ServerProcess good({{"SSE_AUTH_JWT_PUBLIC_KEY_FILE", keys + "rs256_public.pem"}});
  CHECK(http(good.port(), "GET", "/health").status == 200);
}
