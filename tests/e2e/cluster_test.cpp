// Several sse-server nodes sharing one real redis-server (history.backend =
// "redis"): delivery across nodes, replay on another node, limits counted
// across the cluster, Redis going away, a node dying, the admin view.

#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"
#include "support/redis.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// A node of the cluster on `redis`; `ttl` is redis.node_ttl, `per_user` the
// per-user stream limit, `rate`/`burst` the publish limit.
std::unique_ptr<ServerProcess> node(const RedisServer& redis, const std::string& ttl = "10s",
                                    const std::string& per_user = "5",
                                    const std::string& rate = "1000",
                                    const std::string& burst = "1000") {
  return std::make_unique<ServerProcess>(ServerProcess::Env{
      {"SSE_HISTORY_BACKEND", "redis"},
      {"SSE_REDIS_URL", redis.url()},
      {"SSE_REDIS_NODE_TTL", ttl},
      {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", per_user},
      {"SSE_LIMITS_PUBLISH_RATE", rate},
      {"SSE_LIMITS_PUBLISH_BURST", burst},
      {"SSE_LIMITS_HEARTBEAT_INTERVAL", "200ms"},
  });
}

const std::string kTopic = "/realtime/stream?entityType=order";

// Publishes an order update through `port`; its event id ("" unless 202).
std::string publish(int port, int n) {
  const HttpResponse r = post_json(port, "/realtime/update", kDemoToken,
                                   R"({"entityType":"order","entityId":")" + std::to_string(n) +
                                       R"(","action":"update","data":{"n":)" +
                                       std::to_string(n) + "}}");
  if (r.status != 202) UNSCOPED_INFO("publish " << n << ": " << r.status << " " << r.body);
  return r.status == 202 ? json_string(r.body, "id") : "";
}

std::unique_ptr<SseClient> subscribe(int port, const Headers& extra = {}) {
  Headers headers = {{"Authorization", "Bearer " + kDemoToken}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  auto client = std::make_unique<SseClient>(port, kTopic, headers);
  REQUIRE(client->status() == 200);
  return client;
}

// The ids of the order updates a client has, in arrival order.
std::vector<std::string> ids_of(const SseClient& client) {
  std::vector<std::string> ids;
  for (const auto& e : client.real_events()) {
    if (e.type == "update") ids.push_back(e.last_event_id);
  }
  return ids;
}


int open_status(int port, const std::string& user, std::unique_ptr<SseClient>* keep = nullptr) {
  auto client = std::make_unique<SseClient>(port, "/notifications/stream",
                                            Headers{{"Authorization", "Bearer " + user_token(user)}});
  const int status = client->status();
  if (keep && status == 200) *keep = std::move(client);
  return status;
}

// Polls until `open_status` gives `want` (a stream kept when 200); false after `timeout`.
bool eventually_status(int port, const std::string& user, int want,
                       std::vector<std::unique_ptr<SseClient>>& keep,
                       std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<SseClient> client;
    if (open_status(port, user, &client) == want) {
      if (client) keep.push_back(std::move(client));
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// Polls /ready until it answers `status`; false after 20 s.
bool ready_becomes(int port, int status) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http(port, "GET", "/ready").status == status) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("cluster: an event published on node A reaches tails on nodes B and C once each",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis), c = node(redis);
  auto on_b = subscribe(b->port());
  auto on_c = subscribe(c->port());
  std::vector<std::string> published;
  for (int n = 1; n <= 20; ++n) {
    published.push_back(publish(a->port(), n));
    REQUIRE_FALSE(published.back().empty());
  }
  REQUIRE(on_b->wait_for_id(published.back()));
  REQUIRE(on_c->wait_for_id(published.back()));
  CHECK(ids_of(*on_b) == published);
  CHECK(ids_of(*on_c) == published);
}

TEST_CASE("cluster: ids increase across nodes and a publish counts the streams of its own node",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis);
  auto on_a = subscribe(a->port());
  const HttpResponse first = post_json(a->port(), "/realtime/update", kDemoToken,
                                       R"({"entityType":"order","entityId":"1","action":"update","data":{}})");
  const HttpResponse second = post_json(b->port(), "/realtime/update", kDemoToken,
                                        R"({"entityType":"order","entityId":"2","action":"update","data":{}})");
  REQUIRE(first.status == 202);
  REQUIRE(second.status == 202);
  CHECK(std::stoull(json_string(second.body, "id")) > std::stoull(json_string(first.body, "id")));
  CHECK(json_int(first.body, "delivered") == 1);   // the stream on A
  CHECK(json_int(second.body, "delivered") == 0);  // B has none
}

TEST_CASE("cluster: a client moving from node A to node B with its last id gets what it missed "
          "in order and then live events",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis), c = node(redis);
  std::vector<std::string> published;
  auto on_a = subscribe(a->port());
  for (int n = 1; n <= 5; ++n) published.push_back(publish(c->port(), n));
  REQUIRE(on_a->wait_for_id(published.back()));
  const std::string last_seen = published.back();
  on_a->close();
  for (int n = 6; n <= 10; ++n) published.push_back(publish(c->port(), n));
  auto on_b = subscribe(b->port(), {{"Last-Event-ID", last_seen}});
  CHECK(on_b->header("x-sse-replay") == "complete");
  REQUIRE(on_b->wait_for_id(published.back()));
  for (int n = 11; n <= 12; ++n) published.push_back(publish(a->port(), n));
  REQUIRE(on_b->wait_for_id(published.back()));
  const std::vector<std::string> expected(published.begin() + 5, published.end());
  CHECK(ids_of(*on_b) == expected);
  CHECK(count_of(on_b->stream_bytes(), ": caught-up\n") == 1);
}

TEST_CASE("cluster: the per-user stream limit counts the streams of every node",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis), c = node(redis);
  std::vector<std::unique_ptr<SseClient>> open;
  const int ports[] = {a->port(), a->port(), b->port(), b->port(), c->port()};
  for (int port : ports) {
    std::unique_ptr<SseClient> client;
    REQUIRE(open_status(port, "carol", &client) == 200);
    open.push_back(std::move(client));
  }
  CHECK(open_status(a->port(), "carol") == 429);
  CHECK(open_status(b->port(), "carol") == 429);
  CHECK(open_status(c->port(), "carol") == 429);
  CHECK(open_status(c->port(), "dave") == 200);  // another user's places are their own
  // One closes on A: a place is free again, on any node.
  open.front()->close();
  CHECK(eventually_status(c->port(), "carol", 200, open));
  CHECK(open_status(b->port(), "carol") == 429);
}

TEST_CASE("cluster: the publish rate limit is one bucket for the whole cluster",
          "[e2e][cluster]") {
  RedisServer redis;
  // 3 publishes at once, then one every 100 s.
  auto a = node(redis, "10s", "5", "0.01", "3"), b = node(redis, "10s", "5", "0.01", "3");
  CHECK(post_json(a->port(), "/chat/send", kDemoToken, R"({"roomId":"r","message":"1"})").status ==
        202);
  CHECK(post_json(b->port(), "/chat/send", kDemoToken, R"({"roomId":"r","message":"2"})").status ==
        202);
  CHECK(post_json(a->port(), "/chat/send", kDemoToken, R"({"roomId":"r","message":"3"})").status ==
        202);
  const HttpResponse over =
      post_json(b->port(), "/chat/send", kDemoToken, R"({"roomId":"r","message":"4"})");
  CHECK(over.status == 429);
  CHECK_FALSE(over.header("retry-after").empty());
}

TEST_CASE("cluster: while Redis is stopped publishes get 503 and streams stay open and when it "
          "returns every acknowledged event arrives once in order",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis);
  auto on_a = subscribe(a->port());
  auto on_b = subscribe(b->port());
  std::vector<std::string> acknowledged;
  for (int n = 1; n <= 3; ++n) acknowledged.push_back(publish(a->port(), n));
  REQUIRE(on_b->wait_for_id(acknowledged.back()));

  REQUIRE(redis.stop() == 0);
  const HttpResponse refused = post_json(
      b->port(), "/realtime/update", kDemoToken,
      R"({"entityType":"order","entityId":"x","action":"update","data":{}})");
  CHECK(refused.status == 503);
  CHECK(refused.header("retry-after") == "1");
  // The node notices on its reader's next wait: /ready and /metrics say so.
  CHECK(ready_becomes(a->port(), 503));
  CHECK(http(a->port(), "GET", "/metrics").body.find("sse_redis_connected 0\n") !=
        std::string::npos);
  // A stream resuming now could not be replayed: it is told to come back.
  SseClient resuming(a->port(), kTopic,
                     {{"Authorization", "Bearer " + kDemoToken}, {"Last-Event-ID", "1"}});
  CHECK(resuming.status() == 503);
  // Streams stay open, with their heartbeats.
  const size_t before = on_a->events().size();
  REQUIRE(on_a->wait_for_events(before + 2, 10s));
  CHECK_FALSE(on_a->closed());

  redis.start();
  REQUIRE(ready_becomes(a->port(), 200));
  REQUIRE(ready_becomes(b->port(), 200));
  for (int n = 4; n <= 6; ++n) {
    acknowledged.push_back(publish(n % 2 ? a->port() : b->port(), n));
    REQUIRE_FALSE(acknowledged.back().empty());
  }
  REQUIRE(on_a->wait_for_id(acknowledged.back()));
  REQUIRE(on_b->wait_for_id(acknowledged.back()));
  CHECK(ids_of(*on_a) == acknowledged);
  CHECK(ids_of(*on_b) == acknowledged);
  CHECK(http(a->port(), "GET", "/metrics").body.find("sse_redis_connected 1\n") !=
        std::string::npos);
}

TEST_CASE("cluster: a node killed with SIGKILL loses its clients nothing and its per-user "
          "counts expire",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis, "5s", "2"), b = node(redis, "5s", "2");
  std::vector<std::unique_ptr<SseClient>> erin;
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<SseClient> client;
    REQUIRE(open_status(a->port(), "erin", &client) == 200);
    erin.push_back(std::move(client));
  }
  std::vector<std::string> published;
  auto on_a = subscribe(a->port());
  for (int n = 1; n <= 3; ++n) published.push_back(publish(b->port(), n));
  REQUIRE(on_a->wait_for_id(published.back()));
  const std::string last_seen = published.back();

  a->stop(SIGKILL);
  for (int n = 4; n <= 6; ++n) published.push_back(publish(b->port(), n));
  // The client comes back on B with its last id and misses nothing.
  auto moved = subscribe(b->port(), {{"Last-Event-ID", last_seen}});
  REQUIRE(moved->wait_for_id(published.back()));
  CHECK(ids_of(*moved) == std::vector<std::string>(published.begin() + 3, published.end()));
  // Erin's two streams on the dead node still count, until its registration
  // expires (redis.node_ttl = 5s: it was refreshed at most 5/3 s before the kill).
  CHECK(open_status(b->port(), "erin") == 429);
  std::vector<std::unique_ptr<SseClient>> later;
  CHECK(eventually_status(b->port(), "erin", 200, later));
}

TEST_CASE("cluster: the admin view lists the streams of every node and kicks one on another "
          "node",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis);
  auto on_b = subscribe(b->port());
  // A lists B's stream once B has reported it (soon after it opened).
  std::string id;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (id.empty() && std::chrono::steady_clock::now() < deadline) {
    const HttpResponse list = http(a->port(), "GET", "/admin/connections", "",
                                   {{"Authorization", "Bearer " + kDemoToken}});
    REQUIRE(list.status == 200);
    if (list.body.find(R"("stream":"realtime")") != std::string::npos) {
      const size_t at = list.body.find(R"("id":")") + 6;
      id = list.body.substr(at, list.body.find('"', at) - at);
    }
    if (id.empty()) std::this_thread::sleep_for(20ms);
  }
  REQUIRE_FALSE(id.empty());
  // ssectl shows which node holds each stream.
  const CommandResult listed = run({ssectl_bin(), "connections", "list", "--server", a->url(),
                                    "--token", kDemoToken});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.rfind("ID", 0) == 0);
  CHECK(listed.out.find("NODE") != std::string::npos);
  CHECK(listed.out.find(id) != std::string::npos);
  const HttpResponse kicked = http(a->port(), "DELETE", "/admin/connections/" + id, "",
                                   {{"Authorization", "Bearer " + kDemoToken}});
  CHECK(kicked.status == 200);
  CHECK(on_b->wait_closed(20s));
  const HttpResponse unknown = http(a->port(), "DELETE", "/admin/connections/" + id + "9", "",
                                    {{"Authorization", "Bearer " + kDemoToken}});
  CHECK(unknown.status == 404);
}

TEST_CASE("cluster: start-up fails with a clear message when Redis cannot be reached",
          "[e2e][cluster]") {
  int closed_port = 0;
  {
    RedisServer redis;  // a port that was Redis's a moment ago, now closed
    closed_port = redis.port();
    redis.kill();
  }
  const CommandResult r =
      run({server_bin(), "--port", "0"}, "",
          {{"SSE_HISTORY_BACKEND", "redis"},
           {"SSE_REDIS_URL", "redis://:secret@127.0.0.1:" + std::to_string(closed_port)}});
  CHECK(r.exit_code == 69);  // EX_UNAVAILABLE
  CHECK(r.err.find("redis.url") != std::string::npos);
  CHECK(r.err.find("unreachable") != std::string::npos);
  CHECK(r.err.find("secret") == std::string::npos);
}

TEST_CASE("cluster: the stream is trimmed to about history.max_events and a replay from a "
          "trimmed id says incomplete",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = std::make_unique<ServerProcess>(ServerProcess::Env{
      {"SSE_HISTORY_BACKEND", "redis"},
      {"SSE_REDIS_URL", redis.url()},
      {"SSE_REDIS_KEY_PREFIX", "trim:"},
      {"SSE_HISTORY_MAX_EVENTS", "10"},
      {"SSE_LIMITS_PUBLISH_RATE", "1000"},
      {"SSE_LIMITS_PUBLISH_BURST", "1000"},
  });
  std::string first, last;
  for (int n = 1; n <= 300; ++n) {
    last = publish(a->port(), n);
    REQUIRE_FALSE(last.empty());
    if (first.empty()) first = last;
  }
  // MAXLEN ~ trims whole macro nodes (100 entries each by default): well under 300.
  const std::string length = redis_command(redis.port(), {"XLEN", "trim:events"});
  REQUIRE(length.rfind(':', 0) == 0);
  CHECK(std::stoi(length.substr(1)) < 300);
  auto resumed = subscribe(a->port(), {{"Last-Event-ID", first}});
  CHECK(resumed->header("x-sse-replay") == "incomplete");
  REQUIRE(resumed->wait_for_id(last));
  CHECK(ids_of(*resumed).back() == last);
}

TEST_CASE("cluster: a Redis that comes back without its data gives out no id a node has "
          "routed and open streams go on getting events",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis);
  auto on_a = subscribe(a->port());
  std::vector<std::string> published;
  for (int n = 1; n <= 3; ++n) published.push_back(publish(a->port(), n));
  REQUIRE(on_a->wait_for_id(published.back()));
  // What a Redis without persistence, or a lagging replica, comes back as.
  REQUIRE(redis_command(redis.port(), {"FLUSHALL"}) == "+OK\r\n");
  for (int n = 4; n <= 5; ++n) {
    published.push_back(publish(n == 4 ? a->port() : b->port(), n));
    REQUIRE_FALSE(published.back().empty());
  }
  CHECK(std::stoull(published[3]) > std::stoull(published[2]));
  REQUIRE(on_a->wait_for_id(published.back()));
  CHECK(ids_of(*on_a) == published);
}

TEST_CASE("cluster: a client resuming on a node whose feed is still reconnecting gets exactly "
          "what it missed",
          "[e2e][cluster]") {
  RedisServer redis;
  auto a = node(redis), b = node(redis);
  std::vector<std::string> published;
  for (int n = 1; n <= 3; ++n) published.push_back(publish(a->port(), n));
  REQUIRE(redis.stop() == 0);
  REQUIRE(ready_becomes(a->port(), 503));
  redis.start();
  // B's writer reconnects at once for this publish; A's feed may still be
  // waiting out its backoff when the client resumes there.
  std::string fresh;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (fresh.empty() && std::chrono::steady_clock::now() < deadline) {
    fresh = publish(b->port(), 4);
    if (fresh.empty()) std::this_thread::sleep_for(20ms);
  }
  REQUIRE_FALSE(fresh.empty());
  auto resumed = std::make_unique<SseClient>(
      a->port(), kTopic,
      Headers{{"Authorization", "Bearer " + kDemoToken}, {"Last-Event-ID", published.back()}});
  // The node waits for its feed to bring the id (Hub::catch_up): then the
  // client gets the one event it missed, once.
  REQUIRE(resumed->status() == 200);
  REQUIRE(resumed->wait_for_id(fresh));
  CHECK(ids_of(*resumed) == std::vector<std::string>{fresh});
}
