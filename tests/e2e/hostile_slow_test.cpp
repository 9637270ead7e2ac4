// End-to-end, slow and silent clients: requests that trickle their headers or
// body a byte at a time, connections that send nothing, and a status-stream
// client that never reads while the server is asked to shut down. None of
// them may hold a worker or the shutdown: each test shows it by a normal
// client that is served anyway, or by the server exiting.

#include <signal.h>

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// Four workers, and a request head must be whole within 1 s of its first
// byte, a body within 1 s of the end of its head.
const ServerProcess::Env kFewSlowWorkers = {{"SSE_SERVER_THREADS", "4"},
                                            {"SSE_SERVER_REQUEST_TIMEOUT", "1s"},
                                            {"SSE_SERVER_BODY_TIMEOUT", "1s"}};

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
  // A head that started but never ends: one 408, then the close.
  for (size_t i = 0; i < tricklers.size(); ++i) {
    expect_refusal(tricklers.reply(i), 408, "request_timeout");
  }
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
  for (size_t i = 0; i < tricklers.size(); ++i) {
    expect_refusal(tricklers.reply(i), 408, "request_timeout");
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
