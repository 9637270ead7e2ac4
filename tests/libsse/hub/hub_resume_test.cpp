// The hub's side of resuming: a stream opened with a Last-Event-ID gets its
// replay, then one ": caught-up" comment, then live events; whatever it is
// replayed (something, nothing, an incomplete history). A stream opened
// without one gets no comment. And Hub::last_event_id, the id the status
// snapshot reports.

#include <catch2/catch.hpp>

#include "hub_test_support.hpp"
#include "sse/hub/hub.hpp"
#include "sse/log/memory_log.hpp"
#include "sse/wire/encoder.hpp"

using namespace sse;
using namespace sse::hub_test;

namespace {

const std::string kCaughtUp(wire::kCaughtUpFrame);

StreamRequest notifications_for(const std::string& user, std::optional<EventId> resume_after) {
  StreamRequest request;
  request.subscription.channel = Channel::kNotifications;
  request.subscription.user_id = user;
  request.owner = {user, user, "127.0.0.1:1"};
  request.preamble = kPreamble;
  request.resume_after = resume_after;
  return request;
}

std::unique_ptr<Hub> make_hub(EventLog& log, Metrics& metrics, const Clock& clock) {
  auto hub = Hub::create({1, {}}, log, metrics, clock);
  REQUIRE(hub.ok());
  return std::move(*hub);
}

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// A hub over a memory log that holds events 1..5 (2 and 4 for alice, the
// rest for bob), and alice's stream opened with `resume_after`.
struct Resumed {
  explicit Resumed(std::optional<EventId> resume_after) {
    hub = make_hub(log, metrics, clock);
    for (int i = 1; i <= 5; ++i) {
      auto sent = hub->publish(notification_to(i % 2 ? "bob" : "alice"));
      REQUIRE(sent.ok());
      held.push_back(sent->event);
    }
    auto pending = hub->open(notifications_for("alice", resume_after));
    REQUIRE(pending.ok());
    replay_complete = pending->replay_complete();
    auto [client, server] = tcp_pair();
    std::move(*pending).connect(server);
    reader = std::make_unique<Reader>(client);
  }

  // Reads until `bytes` have come; then they are all there is, as long as
  // nothing else was published.
  std::string read(const std::string& expected) {
    REQUIRE(reader->read_until([&](const std::string& r) { return r.size() >= expected.size(); }));
    return reader->received();
  }

  MemoryEventLog log{{}, SystemClock::instance()};
  Metrics metrics;
  ManualClock clock;
  std::unique_ptr<Hub> hub;
  std::vector<EventPtr> held;
  bool replay_complete = false;
  std::unique_ptr<Reader> reader;
};

}  // namespace

TEST_CASE("hub: a resumed stream gets its replay then caught-up once then live events", "[hub]") {
  Resumed r(1);
  CHECK(r.replay_complete);
  // The comment has come: the stream is live, so what is published now
  // comes after it.
  const std::string replayed = kPreamble + r.held[1]->wire + r.held[3]->wire + kCaughtUp;
  CHECK(r.read(replayed) == replayed);
  auto live = r.hub->publish(notification_to("alice"));
  REQUIRE(live.ok());
  CHECK(live->delivered == 1);
  const std::string expected = replayed + live->event->wire;
  CHECK(r.read(expected) == expected);
  CHECK(count_of(r.reader->received(), kCaughtUp) == 1);
}

TEST_CASE("hub: a resumed stream with nothing to replay still gets caught-up", "[hub]") {
  Resumed r(5);  // the newest event
  CHECK(r.replay_complete);
  const std::string caught_up = kPreamble + kCaughtUp;
  CHECK(r.read(caught_up) == caught_up);
  auto live = r.hub->publish(notification_to("alice"));
  REQUIRE(live.ok());
  const std::string expected = caught_up + live->event->wire;
  CHECK(r.read(expected) == expected);
}

TEST_CASE("hub: an incomplete replay ends with caught-up too", "[hub]") {
  // An id this log never gave out (from before a restart of a memory log):
  // everything held is replayed, and the replay is incomplete.
  Resumed r(999);
  CHECK_FALSE(r.replay_complete);
  const std::string expected = kPreamble + r.held[1]->wire + r.held[3]->wire + kCaughtUp;
  CHECK(r.read(expected) == expected);
  CHECK(r.metrics.replays_incomplete == 1);
}

TEST_CASE("hub: a stream opened without a Last-Event-ID gets no caught-up", "[hub]") {
  Resumed r(std::nullopt);
  auto first = r.hub->publish(notification_to("alice"));
  auto second = r.hub->publish(notification_to("alice"));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // Events come in order: once the second is here, everything before it is.
  const std::string expected = kPreamble + first->event->wire + second->event->wire;
  CHECK(r.read(expected) == expected);
}

TEST_CASE("hub: last_event_id is the newest routed id and the log head at start", "[hub]") {
  MemoryEventLog log({}, SystemClock::instance());
  Metrics metrics;
  ManualClock clock;
  {
    auto hub = make_hub(log, metrics, clock);
    CHECK(hub->last_event_id() == 0);  // an empty log
    auto sent = hub->publish(notification_to("alice"));
    REQUIRE(sent.ok());
    CHECK(hub->last_event_id() == sent->event->id);
    REQUIRE(hub->publish(notification_to("bob")).ok());
    CHECK(hub->last_event_id() == 2);
  }
  // A hub over a log that already holds events starts from its head.
  REQUIRE(append_and_wait(log, notification_to("carol")).ok());
  auto hub = make_hub(log, metrics, clock);
  CHECK(hub->last_event_id() == 3);
}
