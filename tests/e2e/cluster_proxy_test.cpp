// End-to-end: sse-server deployed as docs/deployment.md describes it. Two
// nodes share one Redis (history.backend = "redis") behind nginx or HAProxy,
// each proxy run from the sample configuration users copy (config/deploy/,
// support/proxy.hpp). A browser-style client (support/event_source.hpp)
// follows a stream through the proxy while events are published through the
// proxy; the node that serves the stream goes away; the client reconnects
// through the proxy with Last-Event-ID, lands on the other node, and must end
// with every acknowledged event exactly once, in id order.

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "support/event_source.hpp"
#include "support/http.hpp"
#include "support/markers.hpp"
#include "support/process.hpp"
#include "support/proxy.hpp"
#include "support/redis.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

using Kind = ProxyProcess::Kind;
using Nodes = std::vector<std::unique_ptr<ServerProcess>>;

// A key prefix no other test uses, even on a shared Redis.
std::string unique_prefix() {
  std::random_device random;
  return "sse:e2e-" + std::to_string(getpid()) + "-" + std::to_string(random()) + ":";
}

// A node of the cluster on `redis`, its keys under `prefix`.
std::unique_ptr<ServerProcess> start_node(const RedisServer& redis, const std::string& prefix) {
  return std::make_unique<ServerProcess>(
      ServerProcess::Env{{"SSE_HISTORY_BACKEND", "redis"},
                         {"SSE_REDIS_URL", redis.url()},
                         {"SSE_REDIS_KEY_PREFIX", prefix},
                         // retry: 200 — the client is back 200 ms after its node went.
                         {"SSE_LIMITS_RETRY", "200ms"},
                         {"SSE_LIMITS_PUBLISH_RATE", "1000"},
                         {"SSE_LIMITS_PUBLISH_BURST", "1000"}});
}

std::string percent_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Waits until the proxy answers GET /ready from a node with 200.
bool ready_through(const ProxyProcess& proxy) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http(proxy.port(), "GET", "/ready").status == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// How many realtime streams `node` itself holds: its sse_open_streams gauge,
// asked of the node directly (in a cluster /admin/connections lists every
// node's streams, wherever it is asked).
int local_realtime_streams(const ServerProcess& node) {
  const HttpResponse metrics = http(node.port(), "GET", "/metrics");
  const std::string gauge = "sse_open_streams{stream=\"realtime\"} ";
  const size_t at = metrics.body.find(gauge);
  if (metrics.status != 200 || at == std::string::npos) return -1;
  return std::atoi(metrics.body.c_str() + at + gauge.size());
}

// The index of the one node that holds the client's stream; -1 when that is
// not so within 10 s.
int node_serving_stream(const Nodes& nodes) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    int serving = -1;
    int holding = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (local_realtime_streams(*nodes[i]) == 1) {
        serving = static_cast<int>(i);
        ++holding;
      }
    }
    if (holding == 1) return serving;
    std::this_thread::sleep_for(50ms);
  }
  return -1;
}

// Publishes one realtime update through the proxy (REQUIREs its 202); its id.
std::string publish(const ProxyProcess& proxy) { return mark_realtime(proxy.port(), "failover"); }

// REQUIREs that the event `id` reaches the client within `timeout`.
void require_arrives(EventSourceClient& client, const std::string& id,
                     std::chrono::milliseconds timeout, const ProxyProcess& proxy) {
  const bool arrived = client.wait_for_id(id, timeout).has_value();
  INFO("waiting for event " << id << "\n"
                            << client.describe() << proxy.name() << " log:\n"
                            << proxy.log());
  REQUIRE(arrived);
}

// The scenario: a stream through the proxy, its node stopped with `sig`
// (SIGKILL: a crash; SIGTERM: a deploy), the client's reconnection through
// the proxy served by the other node from the shared log.
void stream_survives_its_node(Kind kind, int sig) {
  RedisServer redis;
  const std::string prefix = unique_prefix();
  Nodes nodes;
  nodes.push_back(start_node(redis, prefix));
  nodes.push_back(start_node(redis, prefix));
  ProxyProcess proxy(kind, {nodes[0]->port(), nodes[1]->port()});
  INFO(proxy.name() << " runs:\n" << proxy.config());
  REQUIRE(ready_through(proxy));

  // As EventSource does: the token in the query string.
  EventSourceClient client(
      proxy.port(), "/realtime/stream?entityType=failover&token=" + percent_encode(kDemoToken));
  REQUIRE(client.wait_for_open(1, 10s));
  const int serving = node_serving_stream(nodes);
  REQUIRE(serving >= 0);
  const int other = 1 - serving;

  // Live through the proxy: each event arrives before the next one is
  // published, so nothing on the way holds events back.
  std::vector<std::string> published;
  for (int i = 0; i < 4; ++i) {
    published.push_back(publish(proxy));
    require_arrives(client, published.back(), 5s, proxy);
  }
  // One published on the other node itself: the shared log fans it out.
  published.push_back(mark_realtime(nodes[other]->port(), "failover"));
  require_arrives(client, published.back(), 5s, proxy);

  // The node goes; what is published meanwhile is answered by the other.
  const auto code = nodes[serving]->stop(sig);
  REQUIRE(code);
  for (int i = 0; i < 5; ++i) published.push_back(publish(proxy));

  // The client sees its stream end, waits retry: and comes back through the
  // proxy with Last-Event-ID: first what it missed, then `: caught-up`, then
  // live events again.
  require_arrives(client, published.back(), 15s, proxy);
  const bool caught_up = client.wait_for_comments("caught-up", 1, 5s);
  INFO(client.describe());
  REQUIRE(caught_up);
  for (int i = 0; i < 5; ++i) {
    published.push_back(publish(proxy));
    require_arrives(client, published.back(), 5s, proxy);
  }

  // Every acknowledged event exactly once, in id order.
  CHECK(client.ids() == published);
  for (size_t i = 1; i < published.size(); ++i) {
    CHECK(std::stoll(published[i - 1]) < std::stoll(published[i]));
  }
  // One reconnection, resumed from the last event of the first connection,
  // with nothing missing from the log, on the node that is left.
  REQUIRE(client.opened() == 2);
  const auto& resumed = client.connections().back();
  CHECK(resumed.last_event_id == published[4]);
  const auto replay = resumed.headers.find("x-sse-replay");
  CHECK((replay == resumed.headers.end() ? "(none)" : replay->second) == "complete");
  CHECK(local_realtime_streams(*nodes[other]) == 1);
  CHECK_FALSE(client.failed());
}

}  // namespace

TEST_CASE("cluster behind nginx: a stream whose node is killed resumes on the other node",
          "[cluster]") {
  stream_survives_its_node(Kind::kNginx, SIGKILL);
}

TEST_CASE("cluster behind haproxy: a stream whose node is killed resumes on the other node",
          "[cluster]") {
  stream_survives_its_node(Kind::kHaproxy, SIGKILL);
}

TEST_CASE("cluster behind nginx: a stream whose node shuts down resumes on the other node",
          "[cluster]") {
  stream_survives_its_node(Kind::kNginx, SIGTERM);
}

TEST_CASE("cluster behind haproxy: a stream whose node shuts down resumes on the other node",
          "[cluster]") {
  stream_survives_its_node(Kind::kHaproxy, SIGTERM);
}

// What the cluster tests and docs/deployment.md count on from Redis itself:
// with appendfsync always, a write Redis answered survives a crash.
TEST_CASE("cluster support: Redis keeps an acknowledged write across SIGKILL and restarts",
          "[cluster]") {
  RedisServer redis;
  INFO(redis.log());
  REQUIRE(redis_command(redis.port(), {"SET", "k", "v with\r\nbytes"}) == "+OK\r\n");
  redis.kill();
  CHECK(redis_command(redis.port(), {"PING"}, 200ms).empty());
  redis.start();
  CHECK(redis_command(redis.port(), {"GET", "k"}) == "$13\r\nv with\r\nbytes\r\n");
  CHECK(redis.stop() == 0);
  redis.start();
  CHECK(redis_command(redis.port(), {"GET", "k"}) == "$13\r\nv with\r\nbytes\r\n");
  CHECK(redis_command(redis.port(), {"GET", "missing"}) == "$-1\r\n");
  CHECK(redis_command(redis.port(), {"RPUSH", "l", "a", "b"}) == ":2\r\n");
  CHECK(redis_command(redis.port(), {"LRANGE", "l", "0", "-1"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}
