// The registry through its real doors: real writer loops, real sockets. What
// it counts as delivered, and how a resuming stream turns live.

#include "hub/stream_registry.hpp"

#include <catch2/catch.hpp>

#include "hub_test_support.hpp"
#include "sse/util/clock.hpp"
#include "sse/wire/encoder.hpp"

using namespace sse;
using namespace sse::hub_test;
using sse::detail::StreamRegistry;
using sse::wire::kCaughtUpFrame;

namespace {

EventPtr chat_event_in(EventId id, const std::string& room) {
  auto made = restore_event(id, Channel::kChat, "message", "{\"n\":" + std::to_string(id) + "}",
                            {"", room, ""}, 0);
  REQUIRE(made.ok());
  return *made;
}

StreamRequest chat_request(const std::string& user, const std::string& room) {
  StreamRequest request;
  request.subscription.channel = Channel::kChat;
  request.subscription.user_id = user;
  request.subscription.room = room;
  request.owner = {user, user, "127.0.0.1:1"};
  request.preamble = kPreamble;
  return request;
}

// One writer loop on a manual clock, with its closes counted.
struct OneLoop {
  OneLoop() {
    auto made = WriterLoop::create({}, clock, metrics, [this](StreamId, CloseReason) { ++closed; });
    REQUIRE(made.ok());
    loop = std::move(*made);
  }
  ManualClock clock;
  Metrics metrics;
  std::atomic<int> closed{0};
  std::unique_ptr<WriterLoop> loop;
};

}  // namespace

TEST_CASE("registry: delivered counts only the streams whose writer loop took the event", "[hub]") {
  OneLoop w;
  StreamRegistry registry({w.loop.get()}, 0);
  REQUIRE(registry.add(chat_request("alice", "general"), 0).ok());
  REQUIRE(registry.add(chat_request("bob", "general"), 0).ok());
  CHECK(registry.route(chat_event_in(1, "general")) == 2);
  CHECK(registry.route(chat_event_in(2, "elsewhere")) == 0);

  // The loop stops (the registry has not heard yet): an event routed now
  // reaches no one, and must not be reported as delivered.
  w.loop->drain_and_stop("", w.clock.steady_ms());
  REQUIRE(w.closed == 2);
  CHECK(registry.route(chat_event_in(3, "general")) == 0);
  CHECK(registry.routed_up_to() == 3);
}

TEST_CASE("registry: a resuming stream gets its replay, then live events, in order", "[hub]") {
  OneLoop w;
  StreamRegistry registry({w.loop.get()}, 3);
  StreamRequest request = chat_request("alice", "general");
  request.resume_after = 1;
  auto added = registry.add(std::move(request), 0);
  REQUIRE(added.ok());
  REQUIRE(added->replay_after == EventId{1});
  auto [client, server] = tcp_pair();
  REQUIRE(registry.connect(added->id, sse::SocketFd::take(server)));
  Reader reader(client);

  const EventPtr e2 = chat_event_in(2, "general"), e3 = chat_event_in(3, "general");
  const EventPtr e4 = chat_event_in(4, "general"), e5 = chat_event_in(5, "general");
  CHECK(registry.route(e4) == 0);  // replaying: not live yet

  // A page that ends short of the newest routed event (4) leaves it replaying.
  ReplayPage first;
  first.events = {e2, e3};
  first.next_after = 3;
  first.finished = true;
  CHECK(registry.feed_replay(added->id, std::move(first)) == StreamRegistry::ReplayFed::kMore);
  ReplayPage last;
  last.events = {e4};
  last.next_after = 4;
  last.finished = true;
  CHECK(registry.feed_replay(added->id, std::move(last)) == StreamRegistry::ReplayFed::kLive);
  CHECK(registry.route(e5) == 1);

  // The caught-up comment comes once, with the last page: after e4, before e5.
  const std::string expected =
      kPreamble + e2->wire + e3->wire + e4->wire + std::string(kCaughtUpFrame) + e5->wire;
  REQUIRE(reader.read_until([&](const std::string& r) { return r.size() >= expected.size(); }));
  CHECK(reader.received() == expected);
  CHECK(eventually([&] { return added->stats->replay_in_flight_bytes == 0; }));
  CHECK(added->stats->replay_in_flight == 0);
}

TEST_CASE("registry: nothing to replay still sends caught-up before live events", "[hub]") {
  OneLoop w;
  StreamRegistry registry({w.loop.get()}, 7);
  StreamRequest resuming = chat_request("alice", "general");
  resuming.resume_after = 7;  // the newest routed event: nothing is left to replay
  auto replayed = registry.add(std::move(resuming), 0);
  REQUIRE(replayed.ok());
  auto plain = registry.add(chat_request("bob", "general"), 0);  // no Last-Event-ID
  REQUIRE(plain.ok());
  auto [alice_client, alice_server] = tcp_pair();
  auto [bob_client, bob_server] = tcp_pair();
  REQUIRE(registry.connect(replayed->id, sse::SocketFd::take(alice_server)));
  REQUIRE(registry.connect(plain->id, sse::SocketFd::take(bob_server)));
  Reader alice(alice_client), bob(bob_client);

  ReplayPage empty;
  empty.next_after = 7;
  empty.finished = true;
  CHECK(registry.feed_replay(replayed->id, std::move(empty)) == StreamRegistry::ReplayFed::kLive);
  const EventPtr e8 = chat_event_in(8, "general"), e9 = chat_event_in(9, "general");
  CHECK(registry.route(e8) == 2);
  CHECK(registry.route(e9) == 2);

  const std::string alice_expected = kPreamble + std::string(kCaughtUpFrame) + e8->wire + e9->wire;
  const std::string bob_expected = kPreamble + e8->wire + e9->wire;
  REQUIRE(
      alice.read_until([&](const std::string& r) { return r.size() >= alice_expected.size(); }));
  REQUIRE(bob.read_until([&](const std::string& r) { return r.size() >= bob_expected.size(); }));
  CHECK(alice.received() == alice_expected);
  CHECK(bob.received() == bob_expected);
  CHECK(eventually([&] { return replayed->stats->replay_in_flight_bytes == 0; }));
}

TEST_CASE("registry: a replay page refused by a stopped loop takes its bytes back", "[hub]") {
  OneLoop w;
  StreamRegistry registry({w.loop.get()}, 2);
  StreamRequest request = chat_request("alice", "general");
  request.resume_after = 0;
  auto added = registry.add(std::move(request), 0);
  REQUIRE(added.ok());
  // The loop stops (and closes the stream) before the registry hears of it.
  w.loop->drain_and_stop("", w.clock.steady_ms());
  ReplayPage last;
  last.events = {chat_event_in(1, "general"), chat_event_in(2, "general")};
  last.next_after = 2;
  last.finished = true;
  CHECK(registry.feed_replay(added->id, std::move(last)) == StreamRegistry::ReplayFed::kGone);
  CHECK(added->stats->replay_in_flight == 0);
  CHECK(added->stats->replay_in_flight_bytes == 0);
}

TEST_CASE("registry: abandon takes the stream out with its ticket, and refuse_new refuses",
          "[hub]") {
  OneLoop w;
  StreamRegistry registry({w.loop.get()}, 0);
  auto limiter = ConnectionLimiter::create(10, 10);
  StreamRequest request = chat_request("alice", "general");
  auto admission = limiter->admit("alice");
  REQUIRE(admission.ticket);
  request.ticket = std::move(*admission.ticket);
  auto added = registry.add(std::move(request), 0);
  REQUIRE(added.ok());
  CHECK(registry.open_by_channel()[static_cast<size_t>(Channel::kChat)] == 1);

  auto retired = registry.abandon(added->id);
  REQUIRE(retired.has_value());
  CHECK(retired->owner.user_id == "alice");
  CHECK(retired->ticket.valid());
  CHECK(registry.open_by_channel()[static_cast<size_t>(Channel::kChat)] == 0);
  CHECK(registry.snapshots().empty());
  CHECK(registry.route(chat_event_in(1, "general")) == 0);
  CHECK_FALSE(registry.retire(added->id).has_value());  // the loop's report comes to nothing
  REQUIRE(eventually([&] { return w.closed == 1; }));   // and the loop dropped it

  registry.refuse_new();
  auto refused = registry.add(chat_request("bob", "general"), 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().is_unavailable());
}
