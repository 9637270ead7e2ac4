#pragma once

// What the writer-loop tests share: a loop on a manual clock, loopback
// sockets, a client that reads what the loop wrote, and a record of closes.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/loopback_client.hpp"
#include "sse/stream/writer_loop.hpp"
#include "sse/util/clock.hpp"

namespace sse::test {

using namespace std::chrono_literals;
using sse::CloseReason;
using sse::EventPtr;
using sse::ManualClock;
using sse::Metrics;
using sse::NewStream;
using sse::StreamId;
using sse::StreamStats;
using sse::WriterLoop;
using sse::WriterOptions;

inline constexpr int64_t kHour = 3'600'000;
inline const std::string kPreamble = "retry: 3000\n\n";

// Records the ClosedCallback's calls.
class ClosedLog {
 public:
  WriterLoop::ClosedCallback callback() {
    return [this](StreamId id, CloseReason reason) {
      std::lock_guard lock(mu_);
      closed_.emplace_back(id, reason);
      cv_.notify_all();
    };
  }
  std::optional<CloseReason> wait_for(StreamId id) {
    std::unique_lock lock(mu_);
    std::optional<CloseReason> reason;
    cv_.wait_for(lock, kPatience, [&] {
      for (auto& [closed_id, r] : closed_) {
        if (closed_id == id) reason = r;
      }
      return reason.has_value();
    });
    return reason;
  }
  size_t count_for(StreamId id) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& [closed_id, r] : closed_) n += closed_id == id;
    return n;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return closed_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<StreamId, CloseReason>> closed_;
};

inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

inline EventPtr event(sse::EventId id, std::string data = "") {
  if (data.empty()) data = R"({"n":)" + std::to_string(id) + "}";
  auto made = sse::restore_event(id, sse::Channel::kChat, "message", std::move(data), {}, 0);
  REQUIRE(made.ok());
  return *made;
}

inline std::string wire(const std::vector<EventPtr>& events) {
  std::string out;
  for (const auto& e : events) out += e->wire;
  return out;
}

inline WriterOptions quiet_settings() {
  WriterOptions s;
  s.heartbeat_interval_ms = kHour;
  s.idle_timeout_ms = 0;
  s.max_queued = 1024;
  return s;
}

inline std::unique_ptr<WriterLoop> make_loop(WriterOptions settings, const sse::Clock& clock,
                                             Metrics& metrics,
                                             WriterLoop::ClosedCallback on_closed) {
  auto loop = WriterLoop::create(settings, clock, metrics, std::move(on_closed));
  REQUIRE(loop.ok());
  return std::move(*loop);
}

// A loop with everything a test looks at; members die in reverse order, the
// loop first (its destructor still calls the ClosedCallback). Its clock is
// the manual one: the loop wakes when the test moves it, never by itself.
struct Harness {
  explicit Harness(WriterOptions settings)
      : owned(make_loop(settings, manual, metrics, closed.callback())), loop(*owned) {}

  // Registers stream `id` and hands it its socket; returns the client end.
  Client open(StreamId id, std::shared_ptr<StreamStats> stats = nullptr,
              int64_t expires_at_ms = 0) {
    auto [client, server] = tcp_pair();
    loop.post_add(NewStream{id, kPreamble, expires_at_ms,
                            stats ? std::move(stats) : std::make_shared<StreamStats>()});
    loop.post_connect(id, sse::SocketFd::take(server));
    return Client(client);
  }

  // Returns once the loop has applied everything posted before, and run its
  // timers after that: a round trip through a stream of its own.
  void sync() {
    const StreamId probe = next_probe++;
    Client c = open(probe);
    REQUIRE(c.read_bytes(kPreamble.size()));
    loop.post_close(probe, CloseReason::kKicked);
    REQUIRE(closed.wait_for(probe) == CloseReason::kKicked);
  }

  ManualClock manual;
  Metrics metrics;
  ClosedLog closed;
  StreamId next_probe = 1'000'000;
  std::unique_ptr<WriterLoop> owned;
  WriterLoop& loop;
};

inline uint64_t closed_count(const Metrics& m, CloseReason reason) {
  return m.streams_closed[static_cast<size_t>(reason)].load();
}

}  // namespace sse::test
