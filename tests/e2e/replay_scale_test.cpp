// End-to-end: a long replay from the SQLite log goes page by page, paced by
// the client, and does not hold up live delivery to other streams.

#include <thread>

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

using namespace e2e;
using namespace std::chrono_literals;

TEST_CASE("a 20,000-event replay is paced by its reader and stalls nobody", "[replay][scale]") {
  ServerProcess server({{"SSE_LIMITS_PUBLISH_RATE", "1000000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "1000000"},
                        {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  const int kEvents = 20000;
  const std::string token = user_token("writer");
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = t; i < kEvents; i += 4) {
        auto r = post_json(server.port(), "/realtime/update", token,
                           R"({"entityType":"doc","entityId":")" + std::to_string(i) +
                               R"(","action":"update","data":{"pad":")" + std::string(1000, 'p') +
                               "\"}}");
        REQUIRE(r.status == 202);
      }
    });
  }
  for (auto& p : publishers) p.join();

  // The replaying client reads the response head and then stops reading:
  // 20,000 events of 1 KB are more than the kernel's buffers hold.
  Socket replaying(server.port());
  REQUIRE(replaying.send_all("GET /realtime/stream?lastEventId=0&token=" + user_token("reader") +
                             " HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string replayed = replaying.receive(2s);
  REQUIRE(replayed.find("200 OK") != std::string::npos);

  // Meanwhile a live client on another stream is served at once.
  SseClient live(server.port(), "/chat/stream?room=side&token=" + user_token("live"));
  REQUIRE(live.status() == 200);
  REQUIRE(post_json(server.port(), "/chat/send", token, R"({"roomId":"side","message":"now"})")
              .status == 202);
  REQUIRE(live.wait_for_events(2, 5s));  // user-joined, message
  CHECK(live.events()[1].type == "message");

  // The paused reader's queue in the server stays at a page or two: the
  // replay waits for it instead of loading the history into memory. Once the
  // queue holds events (the socket is full), every look at it finds it
  // within bounds.
  auto queued_now = [&] {
    auto connections =
        http(server.port(), "GET", "/admin/connections?user=reader&token=" + kDemoToken);
    REQUIRE(connections.status == 200);
    const size_t at = connections.body.find("\"queued\":");
    REQUIRE(at != std::string::npos);
    return std::stol(connections.body.substr(at + 9));
  };
  const auto filled_by = std::chrono::steady_clock::now() + 30s;
  long queued = queued_now();
  while (queued == 0 && std::chrono::steady_clock::now() < filled_by) queued = queued_now();
  CHECK(queued > 0);
  for (int look = 0; look < 20; ++look) {
    INFO("look " << look);
    CHECK(queued <= 1024);
    queued = queued_now();
  }

  // Now it reads everything, in order, each event once.
  long long expected = 1, received = 0;
  bool in_order = true;
  sse::wire::Parser counting([&](const sse::wire::ParsedEvent& e) {
    if (e.type == "heartbeat") return;
    if (e.type != "update") return;
    in_order = in_order && std::stoll(e.last_event_id) == expected;
    ++expected;
    ++received;
  });
  counting.feed(replayed.substr(replayed.find("\r\n\r\n") + 4));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (received < kEvents && std::chrono::steady_clock::now() < deadline && !replaying.closed()) {
    counting.feed(replaying.receive(100ms));
  }
  CHECK(received == kEvents);
  CHECK(in_order);
  // …and it was never dropped as a slow client.
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_slow_client_drops_total 0\n") != std::string::npos);
}
