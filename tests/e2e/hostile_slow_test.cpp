// End-to-end, slow and silent clients: requests that trickle their headers or
// body a byte at a time, connections that send nothing, and a status-stream
// client that never reads while the server is asked to shut down. None of
// them may hold a worker or the shutdown for long.

#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// Sockets that each send `head` at once, then `trickle` one byte every
// `every`, from a thread of their own, until the server closes them.
class Tricklers {
 public:
  Tricklers(int port, int count, const std::string& head, const std::string& trickle,
            std::chrono::milliseconds every = 200ms)
      : started_(Clock::now()) {
    for (int i = 0; i < count; ++i) {
      sockets_.push_back(std::make_unique<Socket>(port));
      REQUIRE(sockets_.back()->send_all(head));
      replies_.emplace_back();
      closed_at_.push_back(Clock::time_point::max());
    }
    thread_ = std::thread([this, trickle, every] {
      for (size_t at = 0; !stop_ && at < trickle.size(); ++at) {
        for (size_t i = 0; i < sockets_.size(); ++i) {
          Socket& s = *sockets_[i];
          std::lock_guard lock(mu_);
          if (closed_at_[i] != Clock::time_point::max()) continue;
          replies_[i] += s.receive(0ms);
          if (s.closed() || !s.send_all(trickle.substr(at, 1))) closed_at_[i] = Clock::now();
        }
        std::this_thread::sleep_for(every);
      }
    });
  }
  ~Tricklers() { stop(); }
  // Waits until the server closed every socket; false on timeout.
  bool wait_all_closed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (closed_count() == sockets_.size()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  size_t closed_count() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto t : closed_at_) n += t != Clock::time_point::max();
    return n;
  }
  // The longest a socket stayed open.
  std::chrono::milliseconds longest() const {
    std::lock_guard lock(mu_);
    Clock::time_point last = started_;
    for (auto t : closed_at_) last = std::max(last, std::min(t, Clock::now()));
    return std::chrono::duration_cast<std::chrono::milliseconds>(last - started_);
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Call after stop().
  const std::vector<std::string>& replies() const { return replies_; }

 private:
  Clock::time_point started_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<std::string> replies_;
  std::vector<Clock::time_point> closed_at_;
  mutable std::mutex mu_;  // closed_at_, replies_: the trickling thread writes them
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const ServerProcess::Env kFewSlowWorkers = {{"SSE_SERVER_THREADS", "4"},
                                            {"SSE_SERVER_REQUEST_TIMEOUT", "1s"}};

// /health answers within `limit`; how long it took.
std::chrono::milliseconds health_latency(int port, std::chrono::milliseconds limit) {
  const auto asked = Clock::now();
  auto r = http(port, "GET", "/health", "", {}, limit);
  CHECK(r.status == 200);
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked);
}

}  // namespace

TEST_CASE("requests trickling their headers do not hold the workers", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  // Twice as many tricklers as workers; each sends a byte every 200 ms, well
  // inside the 1 s timeout of a single receive, for 12 s if let.
  Tricklers tricklers(server.port(), 8, "GET /health HTTP/1.1\r\nHost: x\r\n",
                      "X-Slow: " + std::string(52, 'z') + "\r\n\r\n");
  std::this_thread::sleep_for(500ms);
  CHECK(health_latency(server.port(), 5s) < 5s);
  CHECK(tricklers.wait_all_closed(6s));
  CHECK(tricklers.longest() < 6s);
  tricklers.stop();
  for (const auto& reply : tricklers.replies()) CHECK(reply.find(" 200 ") == std::string::npos);
  expect_still_serving(server.port());
}

TEST_CASE("requests trickling their body get 408 and free the worker", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  const std::string body = R"({"roomId":"general","message":")" + std::string(40, 's') + "\"}";
  const std::string head =
      "POST /chat/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token("slow") +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  SseClient room(server.port(), "/chat/stream?room=general&token=" + user_token("reader"));
  REQUIRE(room.wait_for_events(1));
  Tricklers tricklers(server.port(), 8, head, body);
  std::this_thread::sleep_for(500ms);
  CHECK(health_latency(server.port(), 5s) < 5s);
  CHECK(tricklers.wait_all_closed(6s));
  CHECK(tricklers.longest() < 6s);
  tricklers.stop();
  for (const auto& reply : tricklers.replies()) {
    INFO(reply);
    CHECK(reply.rfind("HTTP/1.1 408 ", 0) == 0);
    CHECK(reply.find("request_timeout") != std::string::npos);
  }
  CHECK_FALSE(room.wait_for_events(2, 200ms));  // no partial body was published
  expect_still_serving(server.port());
}

TEST_CASE("connections that send nothing are dropped and do not starve others", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  std::vector<std::unique_ptr<Socket>> silent;
  for (int i = 0; i < 12; ++i) silent.push_back(std::make_unique<Socket>(server.port()));
  std::this_thread::sleep_for(200ms);
  CHECK(health_latency(server.port(), 5s) < 5s);
  const auto deadline = Clock::now() + 6s;
  size_t closed = 0;
  while (closed < silent.size() && Clock::now() < deadline) {
    closed = 0;
    for (auto& s : silent) {
      s->receive(10ms);
      closed += s->closed();
    }
  }
  CHECK(closed == silent.size());
  expect_still_serving(server.port());
}

TEST_CASE("SIGTERM with a status-stream client that never reads still exits 0 promptly",
          "[hostile][slow][shutdown]") {
  ServerProcess server({{"SSE_LIMITS_MAX_QUEUED_EVENTS", "100000"},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"},
                        {"SSE_LIMITS_MAX_BODY_BYTES", "200000"},
                        {"SSE_LIMITS_STATUS_INTERVAL", "50ms"}});
  Socket stuck(server.port());
  stuck.set_receive_buffer(4096);
  REQUIRE(stuck.send_all("GET /system/status/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  // A client that does read, to show the farewell still goes out to it.
  SseClient reader(server.port(), "/system/status/stream");
  REQUIRE(reader.status() == 200);
  std::atomic<bool> reading{true};
  std::atomic<bool> reader_closed{false};  // the reader is the thread's alone until joined
  std::thread read_thread([&] {
    while (reading && !reader.closed()) reader.wait_for_events(reader.events().size() + 1, 50ms);
    reader_closed = reader.closed();
  });
  struct Join {
    std::atomic<bool>& flag;
    std::thread& thread;
    ~Join() {
      flag = false;
      if (thread.joinable()) thread.join();
    }
  } join{reading, read_thread};
  // Fill the non-reader's socket buffers (megabytes), then its queue.
  auto queued = [&] {
    auto listed =
        http(server.port(), "GET", "/admin/connections?stream=status&token=" + kDemoToken);
    int most = 0;
    for (size_t at = listed.body.find("\"queued\":"); at != std::string::npos;
         at = listed.body.find("\"queued\":", at + 1)) {
      most = std::max(most, std::atoi(listed.body.c_str() + at + 9));
    }
    return most;
  };
  const std::string message(9000, 'm');
  for (int batch = 0; batch < 40 && queued() < 20; ++batch) {
    for (int i = 0; i < 50; ++i) {
      REQUIRE(post_json(server.port(), "/system/maintenance", kDemoToken,
                        R"({"message":")" + message + "\"}")
                  .status == 202);
    }
  }
  REQUIRE(queued() >= 20);

  const auto signalled = Clock::now();
  auto code = server.stop(SIGTERM, 5s);
  const auto took = Clock::now() - signalled;
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(took < 3s);
  const auto until = Clock::now() + 5s;  // the reader drains, then sees the close
  while (!reader_closed && Clock::now() < until) std::this_thread::sleep_for(20ms);
  reading = false;
  read_thread.join();
  REQUIRE(reader.closed());
  auto events = reader.real_events();
  REQUIRE(!events.empty());
  CHECK(events.back().type == "maintenance");
  CHECK(json_string(events.back().data, "reason") == "shutdown");
  // The port was let go: the server starts on it again and serves.
  server.restart();
  expect_still_serving(server.port());
}
