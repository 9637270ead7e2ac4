// End-to-end: what happens to streams over time — replay with Last-Event-ID,
// idle timeout, slow clients, admin kicks, token expiry, graceful shutdown,
// and a thousand open streams that hold no worker thread.

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "sse/auth/jwt.hpp"
#include "sse/util/clock.hpp"
#include "support/http.hpp"
#include "support/markers.hpp"
#include "support/process.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

std::string publish_update(int port, int n) {
  auto r = post_json(port, "/realtime/update", kAlice,
                     R"({"entityType":"doc","entityId":")" + std::to_string(n) +
                         R"(","action":"update","data":{"n":)" + std::to_string(n) + "}}");
  REQUIRE(r.status == 202);
  return json_string(r.body, "id");
}

std::vector<long long> ids_of(const std::vector<sse::wire::ParsedEvent>& events) {
  std::vector<long long> ids;
  for (const auto& e : events) {
    if (e.type != "heartbeat") ids.push_back(std::stoll(e.last_event_id));
  }
  return ids;
}

}  // namespace

TEST_CASE("Last-Event-ID replays what was missed, then goes live", "[server][replay]") {
  ServerProcess server({{"SSE_LIMITS_PUBLISH_BURST", "1000"}});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(publish_update(server.port(), i));

  SseClient resumed(server.port(), "/realtime/stream?token=" + kAlice, {{"Last-Event-ID", ids[1]}});
  REQUIRE(resumed.status() == 200);
  CHECK(resumed.header("X-SSE-Replay") == "complete");
  REQUIRE(resumed.wait_for_events(3));
  const std::string live = publish_update(server.port(), 99);
  REQUIRE(resumed.wait_for_events(4));
  CHECK(ids_of(resumed.events()) == std::vector<long long>{std::stoll(ids[2]), std::stoll(ids[3]),
                                                           std::stoll(ids[4]), std::stoll(live)});

  SseClient by_query(server.port(), "/realtime/stream?token=" + kAlice + "&lastEventId=" + ids[3]);
  REQUIRE(by_query.wait_for_events(2));
  CHECK(ids_of(by_query.events()) == std::vector<long long>{std::stoll(ids[4]), std::stoll(live)});

  // Replay honours visibility: bob's notifications are not replayed to alice.
  REQUIRE(post_json(server.port(), "/notifications/send", kDemoToken,
                    R"({"title":"for bob","message":"m","userId":"bob"})")
              .status == 202);
  REQUIRE(
      post_json(server.port(), "/notifications/send", kAlice, R"({"title":"mine","message":"m"})")
          .status == 202);
  SseClient notes(server.port(), "/notifications/stream?token=" + kAlice + "&lastEventId=0");
  const auto marked = notes.wait_for_id(mark_notification(server.port(), "alice"));
  REQUIRE(marked.has_value());
  const auto replayed = events_before(notes, *marked);
  REQUIRE(replayed.size() == 1);
  CHECK(json_string(replayed[0].data, "title") == "mine");
}

TEST_CASE("a replay whose id was pruned says so in X-SSE-Replay", "[server][replay]") {
  ServerProcess server({{"SSE_HISTORY_MAX_EVENTS", "3"}, {"SSE_LIMITS_PUBLISH_BURST", "1000"}});
  for (int i = 0; i < 6; ++i) publish_update(server.port(), i);
  SseClient old(server.port(), "/realtime/stream?token=" + kAlice, {{"Last-Event-ID", "1"}});
  REQUIRE(old.status() == 200);
  CHECK(old.header("X-SSE-Replay") == "incomplete");
  REQUIRE(old.wait_for_events(3));
  CHECK(ids_of(old.events()) == std::vector<long long>{4, 5, 6});
  SseClient future(server.port(), "/realtime/stream?token=" + kAlice, {{"Last-Event-ID", "999"}});
  CHECK(future.header("X-SSE-Replay") == "incomplete");
  SseClient recent(server.port(), "/realtime/stream?token=" + kAlice, {{"Last-Event-ID", "3"}});
  CHECK(recent.header("X-SSE-Replay") == "complete");
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_replays_total 3") != std::string::npos);
  CHECK(metrics.find("sse_replays_incomplete_total 2") != std::string::npos);
}

TEST_CASE("reconnecting while events flow loses nothing and repeats nothing", "[server][replay]") {
  ServerProcess server(
      {{"SSE_LIMITS_PUBLISH_RATE", "100000"}, {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  std::atomic<bool> done{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; i < 400; ++i) {
      publish_update(server.port(), i);
      ++published;
    }
    done = true;
  });
  // A client that drops and resumes from its last id, over and over: after a
  // few events (or 300 ms) while the publisher runs, then once more for all
  // that is left.
  std::vector<long long> seen;
  std::string last = "0";
  const auto give_up = std::chrono::steady_clock::now() + 120s;
  while (seen.size() < 400 && std::chrono::steady_clock::now() < give_up) {
    const bool publishing = !done;
    SseClient stream(server.port(), "/realtime/stream?token=" + kAlice, {{"Last-Event-ID", last}});
    REQUIRE(stream.status() == 200);
    if (publishing) {
      stream.wait_for_events(seen.size() % 7 + 3, 300ms);
    } else {
      stream.wait_for_events(400 - seen.size(), 30s);
    }
    for (long long id : ids_of(stream.events())) seen.push_back(id);
    if (!stream.events().empty()) last = stream.events().back().last_event_id;
  }
  publisher.join();
  REQUIRE(seen.size() == 400);
  for (size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == static_cast<long long>(i + 1));
}

TEST_CASE("an idle stream is closed: heartbeats do not count as activity", "[server][limits]") {
  ServerProcess server(
      {{"SSE_LIMITS_IDLE_TIMEOUT", "1s"}, {"SSE_LIMITS_HEARTBEAT_INTERVAL", "100ms"}});
  SseClient stream(server.port(), "/realtime/stream?token=" + kAlice);
  REQUIRE(stream.status() == 200);
  // Heartbeats come, and the stream is closed all the same: had they counted
  // as activity, it would stay open (and wait_closed time out).
  REQUIRE(stream.wait_for_events(1, 30s));
  CHECK(stream.events()[0].type == "heartbeat");
  REQUIRE(stream.wait_closed(30s));
  CHECK(stream.real_events().empty());
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_streams_closed_total{reason=\"idle_timeout\"} 1") != std::string::npos);
}

TEST_CASE("a client that does not read is disconnected, and a reader still gets every event",
          "[server][limits]") {
  ServerProcess server({{"SSE_LIMITS_MAX_QUEUED_EVENTS", "16"},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"},
                        {"SSE_LIMITS_MAX_BODY_BYTES", "200000"}});
  Socket stuck(server.port());
  stuck.set_receive_buffer(4096);
  REQUIRE(stuck.send_all("GET /chat/stream?room=big&token=" + user_token("slow") +
                         " HTTP/1.1\r\nHost: x\r\n\r\n"));
  SseClient reader(server.port(), "/chat/stream?room=big&token=" + kAlice);
  REQUIRE(reader.status() == 200);
  const std::string message(9000, 'x');  // under the 10,000-byte message limit
  const int kEvents = 1000;              // 9 MB: more than the kernel buffers hold
  bool read_all = false;
  std::thread reading(
      [&] { read_all = reader.wait_for_events(kEvents + 3, 30s); });  // + 2 joined, 1 left
  int accepted = 0;
  for (int i = 0; i < kEvents; ++i) {
    auto r = post_json(server.port(), "/chat/send", kAlice,
                       R"({"roomId":"big","message":")" + message + "\"}");
    accepted += r.status == 202;
  }
  reading.join();
  REQUIRE(accepted == kEvents);
  REQUIRE(read_all);
  size_t count = 0;
  for (const auto& e : reader.events()) count += e.type == "message";
  CHECK(count == kEvents);
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_slow_client_drops_total 1") != std::string::npos);
}

TEST_CASE("admins list and kick connections", "[server][admin]") {
  ServerProcess server;
  SseClient alice(server.port(), "/chat/stream?room=general&token=" + kAlice);
  SseClient bob(server.port(), "/realtime/stream?token=" + user_token("bob"));
  REQUIRE(alice.status() == 200);
  REQUIRE(bob.status() == 200);
  auto denied = http(server.port(), "GET", "/admin/connections?token=" + kAlice);
  CHECK(denied.status == 403);
  auto all = http(server.port(), "GET", "/admin/connections?token=" + kDemoToken);
  REQUIRE(all.status == 200);
  CHECK(all.body.find("\"userId\":\"alice\"") != std::string::npos);
  CHECK(all.body.find("\"userId\":\"bob\"") != std::string::npos);
  CHECK(all.body.find("\"room\":\"general\"") != std::string::npos);
  for (const char* field :
       {"\"id\"", "\"username\"", "\"stream\"", "\"remoteAddress\"", "\"connectedAt\"",
        "\"lastEventId\"", "\"eventsSent\"", "\"bytesSent\"", "\"queued\""}) {
    CHECK(all.body.find(field) != std::string::npos);
  }
  auto only_bob = http(server.port(), "GET", "/admin/connections?user=bob&token=" + kDemoToken);
  CHECK(only_bob.body.find("alice") == std::string::npos);
  auto only_chat = http(server.port(), "GET", "/admin/connections?stream=chat&token=" + kDemoToken);
  CHECK(only_chat.body.find("bob") == std::string::npos);
  const size_t at = only_bob.body.find("\"id\":\"") + 6;
  const std::string bob_id = only_bob.body.substr(at, only_bob.body.find('"', at) - at);
  CHECK(http(server.port(), "DELETE", "/admin/connections/" + bob_id + "?token=" + kAlice).status ==
        403);
  CHECK(http(server.port(), "DELETE", "/admin/connections/" + bob_id + "?token=" + kDemoToken)
            .status == 200);
  CHECK(bob.wait_closed(5s));
  CHECK(http(server.port(), "DELETE", "/admin/connections/" + bob_id + "?token=" + kDemoToken)
            .status == 404);
  CHECK(http(server.port(), "DELETE", "/admin/connections/x1?token=" + kDemoToken).status == 400);
}

TEST_CASE("a JWT stream ends when its token expires", "[server][auth]") {
  TempDir dir;
  const std::string secret = "an-e2e-test-secret-of-enough-length";
  ServerProcess server({{"SSE_AUTH_JWT_SECRET", secret}});
  sse::Identity who;
  who.user_id = "jwt-user";
  who.username = "Jay";
  who.roles = {"user"};
  auto token = sse::sign_jwt(who, {secret, ""}, 1500, sse::SystemClock::instance());
  REQUIRE(token.ok());
  SseClient stream(server.port(), "/notifications/stream?token=" + *token);
  REQUIRE(stream.status() == 200);
  CHECK(post_json(server.port(), "/notifications/send", *token, R"({"title":"t","message":"m"})")
            .status == 202);
  REQUIRE(stream.wait_for_events(1));
  CHECK(stream.wait_closed(30s));
  auto expired =
      post_json(server.port(), "/notifications/send", *token, R"({"title":"t","message":"m"})");
  CHECK(expired.status == 401);
  CHECK(expired.body.find("expired") != std::string::npos);
}

TEST_CASE("SIGTERM: maintenance on every stream, port closed, exit 0", "[server][shutdown]") {
  ServerProcess server;
  SseClient notes(server.port(), "/notifications/stream?token=" + kAlice);
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(notes.status() == 200);
  REQUIRE(status.status() == 200);
  auto code = server.stop(SIGTERM, 30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  for (SseClient* s : {&notes, &status}) {
    REQUIRE(s->wait_closed(10s));
    auto events = s->real_events();
    REQUIRE(!events.empty());
    CHECK(events.back().type == "maintenance");
    CHECK(json_string(events.back().data, "reason") == "shutdown");
  }
  CHECK(http(server.port(), "GET", "/health", "", {}, 1s).status == 0);
}

TEST_CASE("a stream asked for on a kept-alive connection during SIGTERM does not hang shutdown",
          "[server][shutdown]") {
  ServerProcess server;
  Socket kept(server.port());
  REQUIRE(kept.send_all("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string answer;
  for (int i = 0; i < 50 && answer.find("\"ok\"") == std::string::npos; ++i)
    answer += kept.receive(100ms);
  REQUIRE(answer.find("200 OK") != std::string::npos);
  kill(server.pid(), SIGTERM);
  kept.send_all("GET /notifications/stream?token=" + kAlice + " HTTP/1.1\r\nHost: x\r\n\r\n");
  auto code = server.stop(SIGTERM, 30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("SIGINT shuts down as gracefully as SIGTERM", "[server][shutdown]") {
  ServerProcess server;
  SseClient chat(server.port(), "/chat/stream?room=general&token=" + kAlice);
  REQUIRE(chat.status() == 200);
  auto code = server.stop(SIGINT, 30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  REQUIRE(chat.wait_closed(10s));
  REQUIRE(!chat.real_events().empty());
  CHECK(chat.real_events().back().type == "maintenance");
}

TEST_CASE("1000 open streams leave /health and publishing answering", "[server][scale]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "1000"}});
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < 1000; ++i) {
    streams.push_back(
        std::make_unique<SseClient>(server.port(), "/realtime/stream?token=" + kAlice));
    REQUIRE(streams.back()->status() == 200);
  }
  SseClient over(server.port(), "/realtime/stream?token=" + kAlice);
  CHECK(over.status() == 429);  // the 1001st: the global limit
  auto health = http(server.port(), "GET", "/health", "", {}, 5s);
  CHECK(health.status == 200);
  auto r = post_json(server.port(), "/realtime/update", kAlice,
                     R"({"entityType":"t","entityId":"1","action":"create","data":{}})");
  REQUIRE(r.status == 202);
  CHECK(json_int(r.body, "delivered") == 1000);
  for (auto& s : streams) REQUIRE(s->wait_for_events(1, 10s));
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_open_streams{stream=\"realtime\"} 1000") != std::string::npos);
}

TEST_CASE("the access log redacts tokens and is JSON on request", "[server][log]") {
  ServerProcess server({{"SSE_LOG_LEVEL", "info"}, {"SSE_LOG_FORMAT", "json"}});
  SseClient stream(server.port(), "/notifications/stream?token=" + kAlice);
  REQUIRE(stream.status() == 200);
  CHECK(http(server.port(), "GET", "/health").status == 200);
  REQUIRE(server.stop(SIGTERM, 30s) == 0);
  const std::string& log = server.child().err();
  CHECK(log.find("token=REDACTED") != std::string::npos);
  CHECK(log.find(kAlice) == std::string::npos);
  CHECK(log.find("{\"time\":") != std::string::npos);
  CHECK(log.find("\"uri\":\"/health\"") != std::string::npos);
}
