#include "hub/feed_acks.hpp"

#include <thread>

#include <catch2/catch.hpp>

using namespace sse;
using namespace sse::detail;

namespace {

EventPtr event_with_id(EventId id) {
  auto event = std::make_shared<Event>();
  event->id = id;
  return event;
}

struct Answer {
  bool called = false;
  EventId id = 0;
  size_t delivered = 99;
};

FeedAcks::Done record(Answer& answer) {
  return [&answer](EventPtr event, size_t delivered) {
    answer.called = true;
    answer.id = event->id;
    answer.delivered = delivered;
  };
}

}  // namespace

TEST_CASE("feed acks: an acknowledged publish is answered when the feed routes it", "[hub]") {
  FeedAcks acks(10);
  Answer answer;
  acks.acknowledged(event_with_id(11), record(answer));
  CHECK_FALSE(answer.called);
  acks.routed(11, 3);
  CHECK(answer.called);
  CHECK(answer.id == 11);
  CHECK(answer.delivered == 3);
}

TEST_CASE("feed acks: a feed faster than the acknowledgement answers at once with its count",
          "[hub]") {
  FeedAcks acks(0);
  acks.routed(1, 4);
  acks.routed(2, 0);
  Answer answer;
  acks.acknowledged(event_with_id(1), record(answer));
  CHECK(answer.called);
  CHECK(answer.delivered == 4);
}

TEST_CASE("feed acks: waiters below a routed id are answered with none delivered", "[hub]") {
  FeedAcks acks(0);
  Answer skipped, routed, later;
  acks.acknowledged(event_with_id(3), record(skipped));
  acks.acknowledged(event_with_id(5), record(routed));
  acks.acknowledged(event_with_id(6), record(later));
  acks.routed(5, 2);
  CHECK(skipped.called);
  CHECK(skipped.delivered == 0);
  CHECK(routed.called);
  CHECK(routed.delivered == 2);
  CHECK_FALSE(later.called);
}

TEST_CASE("feed acks: after flush every waiter and every later acknowledgement is answered",
          "[hub]") {
  FeedAcks acks(0);
  Answer waiting, after;
  acks.acknowledged(event_with_id(1), record(waiting));
  acks.flush();
  CHECK(waiting.called);
  CHECK(waiting.delivered == 0);
  acks.acknowledged(event_with_id(2), record(after));
  CHECK(after.called);
  CHECK(after.delivered == 0);
}

TEST_CASE("feed acks: wait_routed returns once the feed has passed the id", "[hub]") {
  FeedAcks acks(0);
  CHECK_FALSE(acks.wait_routed(1, 10));
  std::thread feed([&acks] { acks.routed(2, 0); });
  CHECK(acks.wait_routed(2, 60'000));
  feed.join();
  CHECK(acks.wait_routed(1, 0));
}
