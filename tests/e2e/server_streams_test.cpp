// End-to-end: the four streams and the five POST endpoints against the real
// sse-server binary — event names, payloads, routing, presence, heartbeats.

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/markers.hpp"
#include "support/process.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");
const std::string kBob = user_token("bob");

std::string stream_path(const std::string& path, const std::string& token,
                        const std::string& extra = "") {
  return path + "?token=" + token + extra;
}

}  // namespace

TEST_CASE("a stream answers with SSE headers, retry first and ids on events", "[server]") {
  ServerProcess server;
  SseClient stream(server.port(), stream_path("/notifications/stream", kDemoToken));
  REQUIRE(stream.status() == 200);
  CHECK(stream.header("Content-Type").rfind("text/event-stream", 0) == 0);
  CHECK(stream.header("Cache-Control") == "no-cache");
  CHECK(stream.header("X-Accel-Buffering") == "no");

  auto sent = post_json(server.port(), "/notifications/send", kDemoToken,
                        R"({"title":"Hello","message":"World","type":"info"})");
  REQUIRE(sent.status == 202);
  CHECK(json_int(sent.body, "delivered") == 1);
  REQUIRE(stream.wait_for_events(1));
  CHECK(stream.stream_bytes().rfind("retry: 3000\n\n", 0) == 0);
  const auto& event = stream.events()[0];
  CHECK(event.type == "notification");
  CHECK(event.last_event_id == json_string(sent.body, "id"));
  CHECK(json_string(event.data, "title") == "Hello");
  CHECK(json_string(event.data, "message") == "World");
  CHECK(json_string(event.data, "type") == "info");
  CHECK(json_string(event.data, "userId") == "test123");
  CHECK(json_string(event.data, "id") == event.last_event_id);
  // ISO-8601 UTC with milliseconds.
  CHECK(json_string(event.data, "timestamp").size() == 24);
  CHECK(json_string(event.data, "timestamp").back() == 'Z');
}

TEST_CASE("notification types map to event names and reach the right users", "[server]") {
  ServerProcess server;
  SseClient alice(server.port(), stream_path("/notifications/stream", kAlice));
  SseClient bob(server.port(), stream_path("/notifications/stream", kBob));
  REQUIRE(alice.status() == 200);
  REQUIRE(bob.status() == 200);

  CHECK(post_json(server.port(), "/notifications/send", kAlice,
                  R"({"title":"t","message":"m","type":"success"})")
            .status == 202);
  CHECK(post_json(server.port(), "/notifications/send", kAlice,
                  R"({"title":"t","message":"m","type":"warning"})")
            .status == 202);
  CHECK(post_json(server.port(), "/notifications/send", kAlice,
                  R"({"title":"t","message":"m","type":"error"})")
            .status == 202);
  // Only admins notify others or everyone.
  auto denied = post_json(server.port(), "/notifications/send", kAlice,
                          R"({"title":"t","message":"m","userId":"bob"})");
  CHECK(denied.status == 403);
  CHECK(post_json(server.port(), "/notifications/send", kAlice,
                  R"({"title":"t","message":"m","type":"system"})")
            .status == 403);
  CHECK(post_json(server.port(), "/notifications/send", kDemoToken,
                  R"({"title":"to bob","message":"m","userId":"bob"})")
            .status == 202);
  CHECK(post_json(server.port(), "/notifications/send", kDemoToken,
                  R"({"title":"all","message":"m","type":"system"})")
            .status == 202);

  REQUIRE(alice.wait_for_events(4));
  REQUIRE(bob.wait_for_events(2));
  CHECK(alice.events()[0].type == "notification");
  CHECK(alice.events()[1].type == "error-notification");
  CHECK(alice.events()[2].type == "error-notification");
  CHECK(alice.events()[3].type == "system-notification");
  CHECK(bob.events()[0].type == "notification");
  CHECK(json_string(bob.events()[0].data, "title") == "to bob");
  CHECK(bob.events()[1].type == "system-notification");
  // Nothing else arrives for bob: his next event is a marker sent now.
  const auto marked = bob.wait_for_id(mark_notification(server.port(), "bob"));
  REQUIRE(marked.has_value());
  CHECK(*marked == 2);
}

TEST_CASE("realtime actions map to events and entityType filters", "[server]") {
  ServerProcess server;
  SseClient all(server.port(), stream_path("/realtime/stream", kAlice));
  SseClient users(server.port(), stream_path("/realtime/stream", kBob, "&entityType=user"));
  REQUIRE(all.status() == 200);
  REQUIRE(users.status() == 200);
  const std::pair<const char*, const char*> actions[] = {{"created", "create"},
                                                         {"update", "update"},
                                                         {"deleted", "delete"},
                                                         {"status-change", "status-change"}};
  for (auto [action, event] : actions) {
    auto r = post_json(server.port(), "/realtime/update", kAlice,
                       std::string(R"({"entityType":"user","entityId":"u1","action":")") + action +
                           R"(","data":{"status":"online","n":[1,2]}})");
    CHECK(r.status == 202);
  }
  CHECK(post_json(server.port(), "/realtime/update", kAlice,
                  R"({"entityType":"order","entityId":42,"action":"update","data":null})")
            .status == 202);
  auto bad = post_json(server.port(), "/realtime/update", kAlice,
                       R"({"entityType":"user","entityId":"u1","action":"explode"})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("action") != std::string::npos);

  REQUIRE(all.wait_for_events(5));
  for (size_t i = 0; i < 4; ++i) CHECK(all.events()[i].type == actions[i].second);
  CHECK(json_string(all.events()[0].data, "entityType") == "user");
  CHECK(json_string(all.events()[0].data, "entityId") == "u1");
  CHECK(all.events()[0].data.find(R"("data":{"status":"online","n":[1,2]})") != std::string::npos);
  CHECK(json_string(all.events()[4].data, "entityId") == "42");
  // The filtered stream gets the four user events and then a user marker:
  // the order update in between never reached it.
  const auto marked = users.wait_for_id(mark_realtime(server.port(), "user"));
  REQUIRE(marked.has_value());
  const auto filtered = events_before(users, *marked);
  REQUIRE(filtered.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(filtered[i].type == actions[i].second);
    CHECK(json_string(filtered[i].data, "entityType") == "user");
  }
}

TEST_CASE("chat rooms route messages, announce presence and guard private rooms", "[server]") {
  ServerProcess server;
  SseClient watcher(server.port(), stream_path("/chat/stream", kBob, "&room=general"));
  REQUIRE(watcher.status() == 200);
  REQUIRE(watcher.wait_for_events(1));
  CHECK(watcher.events()[0].type == "user-joined");
  CHECK(json_string(watcher.events()[0].data, "userId") == "bob");
  {
    SseClient alice(server.port(), stream_path("/chat/stream", kAlice, "&room=general"));
    REQUIRE(alice.status() == 200);
    REQUIRE(watcher.wait_for_events(2));
    CHECK(watcher.events()[1].type == "user-joined");
    CHECK(json_string(watcher.events()[1].data, "userId") == "alice");
    CHECK(
        post_json(server.port(), "/chat/send", kAlice, R"({"roomId":"general","message":"hi all"})")
            .status == 202);
    CHECK(post_json(server.port(), "/chat/typing", kAlice, R"({"roomId":"general"})").status ==
          202);
    CHECK(post_json(server.port(), "/chat/send", kAlice,
                    R"({"roomId":"random","message":"elsewhere"})")
              .status == 202);
    REQUIRE(watcher.wait_for_events(4));
    CHECK(watcher.events()[2].type == "message");
    CHECK(json_string(watcher.events()[2].data, "message") == "hi all");
    CHECK(json_string(watcher.events()[2].data, "roomId") == "general");
    CHECK(json_string(watcher.events()[2].data, "username") == "alice");
    CHECK(watcher.events()[3].type == "typing");
    alice.close();
  }
  REQUIRE(watcher.wait_for_events(5));
  CHECK(watcher.events()[4].type == "user-left");
  CHECK(json_string(watcher.events()[4].data, "userId") == "alice");

  // Private rooms: ops is for admins only.
  SseClient denied(server.port(), stream_path("/chat/stream", kAlice, "&room=ops"));
  CHECK(denied.status() == 403);
  CHECK(
      post_json(server.port(), "/chat/send", kAlice, R"({"roomId":"ops","message":"x"})").status ==
      403);
  CHECK(post_json(server.port(), "/chat/send", kAlice, R"({"roomId":"bad room!","message":"x"})")
            .status == 400);
  SseClient every_room(server.port(), stream_path("/chat/stream", kAlice));
  SseClient admin(server.port(), stream_path("/chat/stream", kDemoToken));
  REQUIRE(every_room.status() == 200);
  CHECK(post_json(server.port(), "/chat/send", kDemoToken, R"({"roomId":"ops","message":"secret"})")
            .status == 202);
  CHECK(post_json(server.port(), "/chat/send", kDemoToken, R"({"roomId":"lobby","message":"open"})")
            .status == 202);
  REQUIRE(admin.wait_for_events(2));
  // Alice's stream of every room she may see: lobby's message and then a
  // marker, never the ops secret published between them.
  const auto marked = every_room.wait_for_id(mark_chat(server.port(), "lobby"));
  REQUIRE(marked.has_value());
  const auto seen = events_before(every_room, *marked);
  REQUIRE(seen.size() == 1);
  CHECK(json_string(seen[0].data, "message") == "open");
}

TEST_CASE("the status stream needs no token and carries status, maintenance and heartbeats",
          "[server]") {
  ServerProcess server(
      {{"SSE_LIMITS_STATUS_INTERVAL", "200ms"}, {"SSE_LIMITS_HEARTBEAT_INTERVAL", "250ms"}});
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(status.status() == 200);
  CHECK(post_json(server.port(), "/system/maintenance", kAlice, R"({"message":"x"})").status ==
        403);
  auto m =
      post_json(server.port(), "/system/maintenance", kDemoToken,
                R"({"message":"upgrade","startsAt":"2026-12-01T02:00:00Z","durationSeconds":600})");
  CHECK(m.status == 202);
  REQUIRE(status.wait_for_events(6));
  bool saw_status = false, saw_heartbeat = false, saw_maintenance = false;
  for (const auto& e : status.events()) {
    if (e.type == "status") {
      saw_status = true;
      CHECK(json_string(e.data, "status") == "ok");
      CHECK(e.data.find("\"uptime\"") != std::string::npos);
      CHECK(e.data.find("\"connections\"") != std::string::npos);
      CHECK(e.data.find("\"memory\"") != std::string::npos);
      CHECK(e.data.find("\"cpu\"") != std::string::npos);
    }
    if (e.type == "heartbeat") {
      saw_heartbeat = true;
      CHECK(e.data.find("\"timestamp\"") != std::string::npos);
    }
    if (e.type == "maintenance") {
      saw_maintenance = true;
      CHECK(json_string(e.data, "message") == "upgrade");
      CHECK(json_string(e.data, "startsAt") == "2026-12-01T02:00:00.000Z");
      CHECK(json_int(e.data, "durationSeconds") == 600);
    }
  }
  CHECK(saw_status);
  CHECK(saw_heartbeat);
  CHECK(saw_maintenance);
  auto snapshot = http(server.port(), "GET", "/system/status");
  CHECK(snapshot.status == 200);
  CHECK(json_string(snapshot.body, "status") == "ok");
}

TEST_CASE("heartbeats carry no id, so they never move Last-Event-ID", "[server]") {
  ServerProcess server({{"SSE_LIMITS_HEARTBEAT_INTERVAL", "100ms"}});
  SseClient stream(server.port(), stream_path("/realtime/stream", kAlice));
  REQUIRE(stream.status() == 200);
  REQUIRE(post_json(server.port(), "/realtime/update", kAlice,
                    R"({"entityType":"t","entityId":"1","action":"create","data":{}})")
              .status == 202);
  const auto update = stream.wait_for_id("1");
  REQUIRE(update.has_value());
  REQUIRE(stream.wait_for_events(*update + 2));  // and a heartbeat after it
  // WHATWG HTML 9.2.6: an event without an id field keeps the last event ID,
  // so a heartbeat shows "" before event 1 and "1" after it: never its own.
  bool after_update = false;
  for (const auto& e : stream.events()) {
    if (e.type != "heartbeat") {
      CHECK(e.last_event_id == "1");
      after_update = true;
      continue;
    }
    CHECK(e.last_event_id == (after_update ? "1" : ""));
  }
  CHECK(after_update);
  CHECK(stream.stream_bytes().find("event: heartbeat\ndata:") != std::string::npos);
  CHECK(stream.stream_bytes().find("id: \nevent: heartbeat") == std::string::npos);
}

TEST_CASE("the demo token from the spec works against the default configuration", "[server]") {
  ServerProcess server;
  auto r = post_json(server.port(), "/chat/send", kDemoToken,
                     R"({"roomId":"general","message":"hello"})");
  CHECK(r.status == 202);
  SseClient admin_room(server.port(), stream_path("/chat/stream", kDemoToken, "&room=ops"));
  CHECK(admin_room.status() == 200);
}

namespace {

const std::string kCaughtUp = ": caught-up\n\n";

// Reads `stream` until its bytes hold `needle`; false when it closes first or
// nothing of the sort comes within 10 s.
bool wait_for_bytes(SseClient& stream, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (stream.stream_bytes().find(needle) == std::string::npos) {
    if (stream.closed() || std::chrono::steady_clock::now() >= deadline) return false;
    (void)stream.wait_for_events(stream.events().size() + 1, 20ms);  // reads what comes
  }
  return true;
}

// Where the event `id` starts in the stream's bytes; npos when absent.
size_t position_of_id(const SseClient& stream, const std::string& id) {
  return stream.stream_bytes().find("id: " + id + "\n");
}

std::string publish_realtime(int port, int n) {
  auto r = post_json(port, "/realtime/update", kAlice,
                     R"({"entityType":"doc","entityId":")" + std::to_string(n) +
                         R"(","action":"update","data":{"n":)" + std::to_string(n) + "}}");
  INFO(r.body);
  REQUIRE(r.status == 202);
  return json_string(r.body, "id");
}

}  // namespace

TEST_CASE("a resumed stream gets its replay then one caught-up comment then live events",
          "[server][replay]") {
  ServerProcess server({{"SSE_LIMITS_PUBLISH_BURST", "1000"}});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(publish_realtime(server.port(), i));

  SseClient resumed(server.port(), stream_path("/realtime/stream", kAlice),
                    {{"Last-Event-ID", ids[0]}});
  REQUIRE(resumed.status() == 200);
  CHECK(resumed.header("X-SSE-Replay") == "complete");
  SseClient plain(server.port(), stream_path("/realtime/stream", kAlice));
  REQUIRE(plain.status() == 200);
  // Once the comment is here the stream is live: what is published from now
  // on comes after it.
  REQUIRE(wait_for_bytes(resumed, kCaughtUp));
  const std::string live = publish_realtime(server.port(), 99);
  REQUIRE(resumed.wait_for_id(live).has_value());

  const size_t second = position_of_id(resumed, ids[1]);
  const size_t third = position_of_id(resumed, ids[2]);
  const size_t caught_up = resumed.stream_bytes().find(kCaughtUp);
  const size_t after = position_of_id(resumed, live);
  REQUIRE(second != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK(position_of_id(resumed, ids[0]) == std::string::npos);  // resumed after it
  CHECK(second < third);
  CHECK(third < caught_up);
  CHECK(caught_up < after);
  CHECK(count_of(resumed.stream_bytes(), kCaughtUp) == 1);
  // A comment is no event: the parser dispatches only the three.
  std::vector<std::string> got;
  for (const auto& e : resumed.real_events()) got.push_back(e.last_event_id);
  CHECK(got == std::vector<std::string>{ids[1], ids[2], live});

  // The stream opened without a Last-Event-ID got the live event and no
  // comment; the marker shows that nothing else is on its way.
  const std::string marker = mark_realtime(server.port());
  REQUIRE(plain.wait_for_id(marker).has_value());
  CHECK(plain.stream_bytes().find(": caught-up") == std::string::npos);
  CHECK(plain.wait_for_id(live).has_value());
}

TEST_CASE("a resumed stream with nothing to replay gets only the caught-up comment",
          "[server][replay]") {
  ServerProcess server;
  const std::string newest = publish_realtime(server.port(), 1);
  // By the query parameter this time: the same as the header.
  SseClient resumed(server.port(),
                    stream_path("/realtime/stream", kAlice, "&lastEventId=" + newest));
  REQUIRE(resumed.status() == 200);
  CHECK(resumed.header("X-SSE-Replay") == "complete");
  REQUIRE(wait_for_bytes(resumed, kCaughtUp));
  CHECK(resumed.stream_bytes() == "retry: 3000\n\n" + kCaughtUp);
  const std::string live = publish_realtime(server.port(), 2);
  REQUIRE(resumed.wait_for_id(live).has_value());
  CHECK(resumed.stream_bytes().find(kCaughtUp) < position_of_id(resumed, live));
}

TEST_CASE("an incomplete replay ends with the caught-up comment too", "[server][replay]") {
  ServerProcess server;
  const std::string only = publish_realtime(server.port(), 1);
  // An id past the newest: from another life of the log. Everything is
  // replayed, and the replay says it is incomplete.
  SseClient resumed(server.port(), stream_path("/realtime/stream", kAlice),
                    {{"Last-Event-ID", "999999"}});
  REQUIRE(resumed.status() == 200);
  CHECK(resumed.header("X-SSE-Replay") == "incomplete");
  REQUIRE(wait_for_bytes(resumed, kCaughtUp));
  const size_t replayed = position_of_id(resumed, only);
  REQUIRE(replayed != std::string::npos);
  CHECK(replayed < resumed.stream_bytes().find(kCaughtUp));
  CHECK(count_of(resumed.stream_bytes(), kCaughtUp) == 1);
}

TEST_CASE("GET /system/status reports the newest event id as lastEventId", "[server]") {
  // No status tick during the test: it would take an id of its own.
  ServerProcess server({{"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  auto empty = http(server.port(), "GET", "/system/status");
  REQUIRE(empty.status == 200);
  CHECK(json_string(empty.body, "lastEventId") == "0");

  const std::string first = publish_realtime(server.port(), 1);
  auto after_first = http(server.port(), "GET", "/system/status");
  REQUIRE(after_first.status == 200);
  CHECK(json_string(after_first.body, "lastEventId") == first);

  const std::string second = mark_notification(server.port(), "alice");
  auto after_second = http(server.port(), "GET", "/system/status");
  CHECK(json_string(after_second.body, "lastEventId") == second);
  CHECK(std::stoll(second) > std::stoll(first));
}

TEST_CASE("status events carry lastEventId below their own id", "[server]") {
  ServerProcess server({{"SSE_LIMITS_STATUS_INTERVAL", "100ms"}});
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(status.status() == 200);
  REQUIRE(status.wait_for_events(2));
  size_t checked = 0;
  for (const auto& e : status.real_events()) {
    if (e.type != "status") continue;
    const std::string last = json_string(e.data, "lastEventId");
    INFO(e.data);
    REQUIRE_FALSE(last.empty());
    CHECK(last.find_first_not_of("0123456789") == std::string::npos);
    CHECK(std::stoll(last) < std::stoll(e.last_event_id));
    ++checked;
  }
  CHECK(checked >= 1);
}
