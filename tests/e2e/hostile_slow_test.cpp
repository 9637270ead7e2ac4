// End-to-end, slow and silent clients: requests that trickle their headers or
// body a byte at a time, connections that send nothing, and a status-stream
// client that never reads while the server is asked to shut down. None of
// them may hold a worker or the shutdown: each test shows it by a normal
// client that is served anyway, or by the server exiting.

#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// Sockets that each send `head` at once, then `trickle` one byte every
// `every`, from a thread of their own, until the server closes them.
class Tricklers {
 public:
  Tricklers(int port, int count, const std::string& head, const std::string& trickle,
            std::chrono::milliseconds every = 200ms)
      : trickle_size_(trickle.size()) {
    for (int i = 0; i < count; ++i) {
      sockets_.push_back(std::make_unique<Socket>(port));
      REQUIRE(sockets_.back()->send_all(head));
      replies_.emplace_back();
      sent_.push_back(0);
      closed_.push_back(false);
    }
    thread_ = std::thread([this, trickle, every] {
      for (size_t at = 0; !stop_ && at < trickle.size(); ++at) {
        for (size_t i = 0; i < sockets_.size(); ++i) {
          Socket& s = *sockets_[i];
          std::lock_guard lock(mu_);
          if (closed_[i]) continue;
          replies_[i] += s.receive(0ms);
          if (s.closed() || !s.send_all(trickle.substr(at, 1))) {
            closed_[i] = true;
          } else {
            sent_[i] = at + 1;
          }
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
    for (bool closed : closed_) n += closed;
    return n;
  }
  // Every socket was closed by the server before it had sent all of `trickle`.
  bool all_cut_short() const {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (!closed_[i] || sent_[i] >= trickle_size_) return false;
    }
    return true;
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Call after stop().
  const std::vector<std::string>& replies() const { return replies_; }

 private:
  const size_t trickle_size_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<std::string> replies_;
  std::vector<size_t> sent_;  // bytes of the trickle sent so far
  std::vector<bool> closed_;  // seen closed by the server
  mutable std::mutex mu_;     // replies_, sent_, closed_: the trickling thread writes them
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Four workers, and a request (head or body) must be whole within 1 s.
const ServerProcess::Env kFewSlowWorkers = {{"SSE_SERVER_THREADS", "4"},
                                            {"SSE_SERVER_REQUEST_TIMEOUT", "1s"}};

// A trickle of 10 minutes at a byte per 200 ms: longer than any test waits.
const size_t kEndlessTrickle = 3000;

// The one normal request of each test. It connects after the slow clients,
// so the server's FIFO hands every worker to them first: it is answered
// only if the server takes the workers back from them.
void expect_health_answered(int port) {
  CHECK(http(port, "GET", "/health", "", {}, 60s).status == 200);
}

}  // namespace

TEST_CASE("requests trickling their headers do not hold the workers", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  // Twice as many tricklers as workers, each sending a byte of a header every
  // 200 ms (well inside the 1 s timeout of a single receive) for 10 minutes.
  Tricklers tricklers(server.port(), 8, "GET /health HTTP/1.1\r\nHost: x\r\n",
                      "X-Slow: " + std::string(kEndlessTrickle, 'z') + "\r\n\r\n");
  expect_health_answered(server.port());
  CHECK(tricklers.wait_all_closed(60s));
  CHECK(tricklers.all_cut_short());
  tricklers.stop();
  // A head that never ends gets no answer: the connection is dropped.
  for (const auto& reply : tricklers.replies()) CHECK(reply.empty());
  expect_still_serving(server.port());
}

TEST_CASE("requests trickling their body get 408 and free the worker", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  const std::string body =
      R"({"roomId":"general","message":")" + std::string(kEndlessTrickle, 's') + "\"}";
  const std::string head =
      "POST /chat/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token("slow") +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  SseClient room(server.port(), "/chat/stream?room=general&token=" + user_token("reader"));
  REQUIRE(room.wait_for_events(1));
  Tricklers tricklers(server.port(), 8, head, body);
  expect_health_answered(server.port());
  CHECK(tricklers.wait_all_closed(60s));
  CHECK(tricklers.all_cut_short());
  tricklers.stop();
  for (const auto& reply : tricklers.replies()) {
    INFO(reply);
    CHECK(reply.rfind("HTTP/1.1 408 ", 0) == 0);
    CHECK(reply.find("request_timeout") != std::string::npos);
  }
  // No partial body was published: before a marker, only the reader joined.
  const auto marked = room.wait_for_id(mark_chat(server.port(), "general"));
  REQUIRE(marked.has_value());
  CHECK(types_before(room, *marked) == std::vector<std::string>{"user-joined"});
  expect_still_serving(server.port());
}

TEST_CASE("connections that send nothing are dropped and do not starve others", "[hostile][slow]") {
  ServerProcess server(kFewSlowWorkers);
  std::vector<std::unique_ptr<Socket>> silent;
  for (int i = 0; i < 12; ++i) silent.push_back(std::make_unique<Socket>(server.port()));
  expect_health_answered(server.port());
  const auto deadline = Clock::now() + 60s;
  size_t closed = 0;
  std::string received;
  while (closed < silent.size() && Clock::now() < deadline) {
    closed = 0;
    for (auto& s : silent) {
      received += s->receive(10ms);
      closed += s->closed();
    }
  }
  CHECK(closed == silent.size());
  CHECK(received.empty());  // dropped without an answer
  expect_still_serving(server.port());
}

TEST_CASE("SIGTERM with a status-stream client that never reads still exits 0",
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

  // The server gives streams 1.5 s to take the farewell, then closes them:
  // it exits even though one never reads (it would hang forever otherwise).
  auto code = server.stop(SIGTERM, 30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const auto until = Clock::now() + 30s;  // the reader drains, then sees the close
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
