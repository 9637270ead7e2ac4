// The hub with a log whose appends complete only when the test says so:
// publish waits for durability, shutdown refuses newcomers, and the hub
// outlives every append it started. Then the open/connect handshake, replay
// into live, and the shutdown races.

#include "sse/hub/hub.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "../stream/no_free_descriptors.hpp"
#include "hub_test_support.hpp"
#include "sse/log/memory_log.hpp"

using namespace sse;
using namespace sse::hub_test;
using sse::test::NoFreeDescriptors;
using namespace std::chrono_literals;

namespace {

const std::string kFarewell = "event: maintenance\ndata: {}\n\n";

StreamRequest request_for(Channel channel, const std::string& user, const std::string& room = "") {
  StreamRequest request;
  request.subscription.channel = channel;
  request.subscription.user_id = user;
  request.subscription.room = room;
  request.owner = {user, user, "127.0.0.1:1"};
  request.preamble = kPreamble;
  return request;
}
StreamRequest chat_request(const std::string& user, const std::string& room) {
  return request_for(Channel::kChat, user, room);
}

std::unique_ptr<Hub> make_hub(EventLog& log, Metrics& metrics, const Clock& clock,
                              size_t writer_threads = 1) {
  auto hub = Hub::create({writer_threads, {}}, log, metrics, clock);
  REQUIRE(hub.ok());
  return std::move(*hub);
}

uint64_t published(const Metrics& metrics, Channel channel) {
  return metrics.events_published[static_cast<size_t>(channel)].load();
}

// "id: N\n" for every event in `wire`, in order.
std::vector<EventId> ids_in(const std::string& wire) {
  std::vector<EventId> ids;
  for (size_t at = wire.find("id: "); at != std::string::npos; at = wire.find("id: ", at + 1)) {
    if (at == 0 || wire[at - 1] == '\n') ids.push_back(std::stoull(wire.substr(at + 4)));
  }
  return ids;
}

}  // namespace

TEST_CASE("hub: publish answers only once the log has the event", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  auto answer =
      std::async(std::launch::async, [&] { return hub->publish(notification_to("alice")); });
  REQUIRE(eventually([&] { return log.pending() == 1; }));
  CHECK(answer.wait_for(0ms) == std::future_status::timeout);  // the log has not answered
  log.release();
  auto result = answer.get();
  REQUIRE(result.ok());
  CHECK(result->event->id == 1);
  CHECK(result->delivered == 0);
  CHECK(published(metrics, Channel::kNotifications) == 1);
}

TEST_CASE("hub: after shutdown, streams and publishes are refused", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  hub->shutdown("", clock.steady_ms());
  auto opened = hub->open(chat_request("alice", ""));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().is_unavailable());
  auto sent = hub->publish(notification_to("alice"));
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().is_unavailable());
  CHECK(log.pending() == 0);
  CHECK(hub->open_streams()[static_cast<size_t>(Channel::kChat)] == 0);
}

TEST_CASE("hub: a registered stream is counted, listed and kicked", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock, 2);
  auto pending = hub->open(chat_request("alice", ""));
  REQUIRE(pending.ok());
  CHECK(pending->replay_complete());
  const StreamId id = pending->id();
  CHECK(hub->open_streams()[static_cast<size_t>(Channel::kChat)] == 1);
  auto streams = hub->streams();
  REQUIRE(streams.size() == 1);
  CHECK(streams[0].owner.user_id == "alice");
  CHECK(hub->kick(id));
  CHECK(eventually([&] { return hub->streams().empty(); }));
  CHECK_FALSE(hub->kick(id));
  CHECK(hub->open_streams()[static_cast<size_t>(Channel::kChat)] == 0);
}

TEST_CASE("hub: destruction waits for appends in flight, whose callbacks use the hub", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  // Joining a room announces the user without waiting for the log.
  auto pending = hub->open(chat_request("alice", "general"));
  REQUIRE(pending.ok());
  auto [client, server] = tcp_pair();  // the client stays: no "user-left" before the end
  std::move(*pending).connect(server);
  REQUIRE(log.pending() == 1);
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    hub.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(100ms);  // gives a hub that does not wait the time to go
  CHECK_FALSE(destroyed);
  log.release();  // the callback routes through the hub: it must still be there
  destroyer.join();
  CHECK(destroyed);
  CHECK(published(metrics, Channel::kChat) == 1);
}

TEST_CASE("hub: an event published between open and connect reaches the client after the 200",
          "[hub]") {
  MemoryEventLog log({}, SystemClock::instance());
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  auto pending = hub->open(request_for(Channel::kNotifications, "alice"));
  REQUIRE(pending.ok());
  // The headers are on their way; the socket is not the hub's yet.
  auto sent = hub->publish(notification_to("alice"));
  REQUIRE(sent.ok());
  CHECK(sent->delivered == 1);
  auto [client, server] = tcp_pair();
  std::move(*pending).connect(server);
  Reader reader(client);
  const std::string expected = kPreamble + sent->event->wire;
  REQUIRE(reader.read_until([&](const std::string& r) { return r.size() >= expected.size(); }));
  CHECK(reader.received() == expected);
}

TEST_CASE("hub: a PendingStream dropped unconnected gives back its ticket and its presence",
          "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  auto limiter = ConnectionLimiter::create(10, 1);
  StreamRequest request = chat_request("alice", "general");
  auto admission = limiter->admit("alice");
  REQUIRE(admission.ticket);
  request.ticket = std::move(*admission.ticket);
  {
    auto pending = hub->open(std::move(request));
    REQUIRE(pending.ok());
    CHECK(limiter->open_for("alice") == 1);
    CHECK(log.pending() == 1);  // "user-joined"
  }                             // the response could not be sent
  CHECK(limiter->open_for("alice") == 0);
  CHECK(hub->open_streams()[static_cast<size_t>(Channel::kChat)] == 0);
  REQUIRE(log.pending() == 2);  // and "user-left", at once
  log.release();
  CHECK(published(metrics, Channel::kChat) == 2);
  // Her place is free again: a new stream of hers is admitted.
  CHECK(limiter->admit("alice").ticket.has_value());
}

TEST_CASE("hub: a resuming stream gets the log, then live events, none missing or twice", "[hub]") {
  MemoryEventLog log({}, SystemClock::instance());
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock, 2);
  for (int i = 0; i < 600; ++i)
    REQUIRE(hub->publish(notification_to(i % 2 ? "alice" : "bob")).ok());

  StreamRequest request = request_for(Channel::kNotifications, "alice");
  request.resume_after = 100;
  auto pending = hub->open(std::move(request));
  REQUIRE(pending.ok());
  CHECK(pending->replay_complete());
  auto [client, server] = tcp_pair();
  std::move(*pending).connect(server);
  // Live events while the replay runs, some for her, some for everyone.
  for (int i = 0; i < 600; ++i)
    REQUIRE(hub->publish(notification_to(i % 3 ? "bob" : (i % 2 ? "alice" : ""))).ok());

  std::vector<EventId> expected;
  for (EventId id = 101; id <= 1200; ++id) {
    const bool for_her = id <= 600 ? (id - 1) % 2 == 1 : (id - 601) % 3 == 0;
    if (for_her) expected.push_back(id);
  }
  Reader reader(client);
  REQUIRE(reader.read_until([&](const std::string& r) {
    auto got = ids_in(r);
    return !got.empty() && got.back() == expected.back();
  }));
  CHECK(ids_in(reader.received()) == expected);
  CHECK(metrics.replays == 1);
  CHECK(metrics.replays_incomplete == 0);
}

TEST_CASE("hub: a publish in flight when shutdown begins goes out before the farewell", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  auto pending = hub->open(request_for(Channel::kNotifications, "alice"));
  REQUIRE(pending.ok());
  auto [client, server] = tcp_pair();
  std::move(*pending).connect(server);
  Reader reader(client);
  REQUIRE(reader.read_until_contains(kPreamble));

  auto answer =
      std::async(std::launch::async, [&] { return hub->publish(notification_to("alice")); });
  REQUIRE(eventually([&] { return log.pending() == 1; }));
  std::thread stopper([&] { hub->shutdown(kFarewell, clock.steady_ms() + 60'000); });
  // Shutdown refuses publishes, then streams, then waits for the append.
  REQUIRE(eventually([&] { return !hub->open(request_for(Channel::kStatus, "")).ok(); }));
  CHECK(hub->publish(notification_to("alice")).error().is_unavailable());
  log.release();
  auto result = answer.get();
  stopper.join();

  REQUIRE(result.ok());
  CHECK(result->delivered == 1);
  REQUIRE(reader.read_to_eof());
  CHECK(reader.received() == kPreamble + result->event->wire + kFarewell);
}

TEST_CASE("hub: a stream opening during shutdown announces nothing after the farewell", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = make_hub(log, metrics, clock);
  log.hold_covers();
  // Registered before shutdown, stopped between registering and announcing.
  StreamRequest request = chat_request("alice", "general");
  request.resume_after = 0;
  auto opening = std::async(std::launch::async, [&] { return hub->open(std::move(request)); });
  REQUIRE(log.wait_for_covers(1));
  hub->shutdown(kFarewell, clock.steady_ms());  // every stream has had its farewell
  log.let_covers_go();
  auto opened = opening.get();
  // The join was refused with the publishes: nothing reached the log after
  // the farewell.
  CHECK(log.pending() == 0);
  CHECK(published(metrics, Channel::kChat) == 0);
  if (opened.ok()) {
    auto [client, server] = tcp_pair();
    std::move(*opened).connect(server);  // the stream is gone: its socket is closed
    Reader reader(client);
    CHECK(reader.read_to_eof());
    CHECK(reader.received().empty());
  }
}

TEST_CASE("hub: a hub whose writer loops cannot start is an error", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  Result<std::unique_ptr<Hub>> hub = Error::internal("not tried");
  if (!sse::test::kCanExhaustDescriptors) {
    WARN("passed over under UBSan: it needs a free descriptor (no_free_descriptors.hpp)");
    return;
  }
  bool exhausted_all = false;
  {
    // No Catch2 assertion in here: UBSan's type checks need a descriptor.
    NoFreeDescriptors exhausted;
    exhausted_all = exhausted.active();
    hub = Hub::create({2, {}}, log, metrics, clock);
  }
  REQUIRE(exhausted_all);
  REQUIRE_FALSE(hub.ok());
  CHECK(hub.error().is_unavailable());
  CHECK(hub.message().find("writer loop") != std::string::npos);
}
