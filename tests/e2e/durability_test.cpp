// End-to-end: the durable log's promise. Events are published while clients
// read; the server is killed with SIGKILL mid-stream and restarted on the same
// database; every acknowledged event must reach every client exactly once and
// in order.

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kPublisher = user_token("publisher");

// A client that follows /realtime/stream like EventSource does: on every
// disconnect it comes back with the last id it saw.
class FollowingClient {
 public:
  FollowingClient(const ServerProcess& server, std::string user)
      : server_(server), token_(user_token(std::move(user))) {
    thread_ = std::thread([this] { run(); });
  }
  ~FollowingClient() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<long long> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  void run() {
    std::string last;
    while (!stop_) {
      Headers headers;
      if (!last.empty()) headers.push_back({"Last-Event-ID", last});
      SseClient stream(server_.port(), "/realtime/stream?token=" + token_, headers);
      if (stream.status() != 200) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      size_t taken = 0;
      while (!stop_ && !stream.closed()) {
        stream.wait_for_events(taken + 1, 100ms);
        const auto& events = stream.events();
        std::lock_guard lock(mu_);
        for (; taken < events.size(); ++taken) {
          if (events[taken].type == "heartbeat") continue;
          ids_.push_back(std::stoll(events[taken].last_event_id));
          last = events[taken].last_event_id;
        }
      }
    }
  }

  const ServerProcess& server_;
  const std::string token_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<long long> ids_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("SIGKILL mid-stream loses no acknowledged event and repeats none", "[durability]") {
  ServerProcess server({{"SSE_LIMITS_PUBLISH_RATE", "1000000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "1000000"},
                        {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  std::vector<std::unique_ptr<FollowingClient>> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(std::make_unique<FollowingClient>(server, "reader" + std::to_string(i)));
  // They follow from the first event on: each is open before anything is published.
  REQUIRE(wait_for_streams(server.port(), 3, "realtime"));

  const int kEvents = 3000;
  std::mutex acked_mu;
  std::set<long long> acked;
  std::atomic<int> sent{0};
  auto publish = [&](int worker) {
    for (int n = worker; n < kEvents; n += 2) {
      for (;;) {  // a publisher retries until it gets its 202
        auto r = post_json(server.port(), "/realtime/update", kPublisher,
                           R"({"entityType":"doc","entityId":")" + std::to_string(n) +
                               R"(","action":"update","data":{"n":)" + std::to_string(n) + "}}");
        if (r.status == 202) {
          std::lock_guard lock(acked_mu);
          acked.insert(std::stoll(json_string(r.body, "id")));
          ++sent;
          break;
        }
        std::this_thread::sleep_for(20ms);
      }
    }
  };
  std::thread p0(publish, 0), p1(publish, 1);
  while (sent < kEvents / 2) std::this_thread::sleep_for(5ms);
  server.stop(SIGKILL);
  server.restart();
  p0.join();
  p1.join();
  REQUIRE(acked.size() == static_cast<size_t>(kEvents));
  const long long last_acked = *acked.rbegin();

  for (auto& client : clients) {
    // Wait until the client has caught up with the last acknowledged event.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto ids = client->ids();
      if (!ids.empty() && ids.back() >= last_acked) break;
      std::this_thread::sleep_for(50ms);
    }
    client->stop();
    const auto ids = client->ids();
    // In order, each once.
    for (size_t i = 1; i < ids.size(); ++i) REQUIRE(ids[i - 1] < ids[i]);
    // Every acknowledged event arrived.
    const std::set<long long> seen(ids.begin(), ids.end());
    size_t missing = 0;
    for (long long id : acked) missing += seen.count(id) == 0;
    CHECK(missing == 0);
  }
}
