// End-to-end, connection floods past the stream limits: many clients at once
// get 429 before any stream byte, exactly the limit gets in, and every place
// comes back when its client goes — however abruptly it went.

#include <sys/socket.h>

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

constexpr int kLimit = 5;

struct Attempt {
  int status = 0;
  std::string retry_after;
  std::string body;
  std::unique_ptr<SseClient> stream;  // kept open when admitted
};

// `count` stream opens at once, from as many threads; user i % users.
std::vector<Attempt> flood(int port, int count, int users = 1000) {
  std::vector<Attempt> attempts(static_cast<size_t>(count));
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      auto stream = std::make_unique<SseClient>(
          port, "/realtime/stream?token=" + user_token("flood" + std::to_string(i % users)));
      Attempt& a = attempts[static_cast<size_t>(i)];
      a.status = stream->status();
      a.retry_after = stream->header("Retry-After");
      a.body = stream->body();
      if (a.status == 200) a.stream = std::move(stream);
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  return attempts;
}

size_t admitted(const std::vector<Attempt>& attempts) {
  size_t n = 0;
  for (const auto& a : attempts) n += a.status == 200;
  return n;
}

// Every refusal was a 429 with "Retry-After: 5" and a JSON error, no stream bytes.
void expect_refusals_clean(const std::vector<Attempt>& attempts) {
  for (const auto& a : attempts) {
    if (a.status == 200) continue;
    INFO(a.body);
    CHECK(a.status == 429);
    CHECK(a.retry_after == "5");
    CHECK(a.body.rfind(R"({"error":{"code":"too_many_requests")", 0) == 0);
    CHECK(a.body.find("retry:") == std::string::npos);
  }
}

// Waits until `kLimit` streams can be open at once again (the places freed by
// clients that left are given back); those streams are returned open.
std::vector<std::unique_ptr<SseClient>> reclaim_all(int port) {
  std::vector<std::unique_ptr<SseClient>> open;
  const auto deadline = Clock::now() + 5s;
  while (open.size() < static_cast<size_t>(kLimit) && Clock::now() < deadline) {
    auto s = std::make_unique<SseClient>(
        port, "/realtime/stream?token=" + user_token("again" + std::to_string(open.size())));
    if (s->status() == 200) {
      open.push_back(std::move(s));
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  return open;
}

}  // namespace

TEST_CASE("a flood past max_connections: exactly the limit gets in, the rest 429",
          "[hostile][flood]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS", std::to_string(kLimit)},
                        {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "1000"}});
  // From nothing open: the race to the last places admits exactly the limit.
  auto first = flood(server.port(), 60);
  CHECK(admitted(first) == static_cast<size_t>(kLimit));
  expect_refusals_clean(first);
  // While full: everyone else is refused, and /health still answers.
  auto second = flood(server.port(), 60);
  CHECK(admitted(second) == 0);
  expect_refusals_clean(second);
  CHECK(http(server.port(), "GET", "/health", "", {}, 5s).status == 200);
  // The admitted streams work.
  for (auto& a : first) {
    if (a.stream) CHECK(a.stream->status() == 200);
  }
  // They go; every place comes back, and no more than that.
  first.clear();
  auto open = reclaim_all(server.port());
  CHECK(open.size() == static_cast<size_t>(kLimit));
  SseClient over(server.port(), "/system/status/stream");
  CHECK(over.status() == 429);
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_rejections_total{reason=\"stream_limit_total\"}") != std::string::npos);
  open.clear();
  // The places come back once the server has seen those clients go.
  REQUIRE(wait_for_streams(server.port(), 0));
  expect_still_serving(server.port());
}

TEST_CASE("clients that vanish mid-open or mid-stream give their place back", "[hostile][flood]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS", std::to_string(kLimit)},
                        {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "1000"}});
  const std::string token = user_token("ghost");
  // Send the request and reset the connection at once, many times.
  for (int i = 0; i < 100; ++i) {
    Socket s(server.port());
    REQUIRE(s.send_all("GET /realtime/stream?token=" + token + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    linger hard{1, 0};  // close with RST
    ::setsockopt(s.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  auto open = reclaim_all(server.port());
  CHECK(open.size() == static_cast<size_t>(kLimit));
  open.clear();
  // Streams that were open, whose clients then reset. (The places of the
  // streams just closed come back a moment after their clients go.)
  std::vector<std::unique_ptr<Socket>> raw;
  const auto deadline = Clock::now() + 5s;
  while (raw.size() < static_cast<size_t>(kLimit) && Clock::now() < deadline) {
    auto socket = std::make_unique<Socket>(server.port());
    REQUIRE(
        socket->send_all("GET /realtime/stream?token=" + token + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
      head += socket->receive(50ms);
    }
    if (head.rfind("HTTP/1.1 200", 0) == 0) {
      raw.push_back(std::move(socket));
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  REQUIRE(raw.size() == static_cast<size_t>(kLimit));
  SseClient full(server.port(), "/system/status/stream");
  CHECK(full.status() == 429);
  for (auto& s : raw) {
    linger hard{1, 0};
    ::setsockopt(s->fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  raw.clear();
  auto again = reclaim_all(server.port());
  CHECK(again.size() == static_cast<size_t>(kLimit));
  again.clear();
  expect_still_serving(server.port());
}

TEST_CASE("a flood from one user stops at the per-user limit while others still get in",
          "[hostile][flood]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "2"}});
  auto attempts = flood(server.port(), 40, /*users=*/1);
  CHECK(admitted(attempts) == 2);
  expect_refusals_clean(attempts);
  SseClient other(server.port(), "/realtime/stream?token=" + user_token("someone-else"));
  CHECK(other.status() == 200);
  auto metrics = http(server.port(), "GET", "/metrics").body;
  CHECK(metrics.find("sse_rejections_total{reason=\"stream_limit_user\"} 38") != std::string::npos);
  attempts.clear();
  expect_still_serving(server.port());
}
