#include "sse/log/memory_log.hpp"

#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "log_test_support.hpp"

using namespace sse;
using namespace sse::testing;

TEST_CASE("memory log: ids increase from 1 and events are sealed", "[log]") {
  ManualClock clock;
  MemoryEventLog log({100, 0}, clock);
  CHECK(log.head() == 0);
  auto first = append_and_wait(log, chat_draft("a", "one"));
  auto second = append_and_wait(log, chat_draft("a", "two"));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK((*first)->id == 1);
  CHECK((*second)->id == 2);
  CHECK((*second)->wire == "id: 2\nevent: message\ndata: {\"id\":\"2\",\"message\":\"two\"}\n\n");
  CHECK((*first)->time_ms == clock.now_ms());
  CHECK(log.head() == 2);
  CHECK(log.size() == 2);
}

TEST_CASE("memory log: a draft that cannot go on the wire fails and uses no id", "[log]") {
  ManualClock clock;
  MemoryEventLog log({100, 0}, clock);
  EventDraft bad = chat_draft("a", "x");
  bad.type = "two\nlines";
  CHECK_FALSE(append_and_wait(log, bad).ok());
  CHECK(log.head() == 0);
  CHECK((*append_and_wait(log, chat_draft("a", "ok")))->id == 1);
}

TEST_CASE("memory log: replay filters, bounds and pages", "[log]") {
  ManualClock clock;
  MemoryEventLog log({100, 0}, clock);
  for (int i = 1; i <= 10; ++i) (void)append_and_wait(log, chat_draft(i % 2 ? "odd" : "even", "m"));
  CHECK(ids_of(replay_ok(log, 0, 10, room_filter("odd"), 100)) == std::vector<EventId>{1, 3, 5, 7, 9});
  CHECK(ids_of(replay_ok(log, 4, 8, nullptr, 100)) == std::vector<EventId>{5, 6, 7, 8});
  CHECK(replay_ok(log, 10, 10, nullptr, 100).events.empty());
  auto page = replay_ok(log, 0, 10, room_filter("even"), 2);
  CHECK(ids_of(page) == std::vector<EventId>{2, 4});
  CHECK_FALSE(page.finished);
  auto rest = replay_ok(log, page.next_after, 10, room_filter("even"), 100);
  CHECK(ids_of(rest) == std::vector<EventId>{6, 8, 10});
  CHECK(rest.finished);
  CHECK(rest.next_after == 10);
}

TEST_CASE("memory log: retention by count and by age, and what covers tells", "[log]") {
  ManualClock clock;
  MemoryEventLog log({3, 60'000}, clock);
  for (int i = 0; i < 5; ++i) (void)append_and_wait(log, chat_draft("r", "m"));
  CHECK(log.size() == 3);
  CHECK(log.covers(2));  // 3, 4, 5 are held
  CHECK(log.covers(5));
  CHECK_FALSE(log.covers(1));
  CHECK_FALSE(log.covers(6));  // never given out
  CHECK(ids_of(replay_ok(log, 0, 5, nullptr, 100)) == std::vector<EventId>{3, 4, 5});
  clock.advance_ms(61'000);
  (void)append_and_wait(log, chat_draft("r", "late"));
  CHECK(log.size() == 1);
  CHECK(log.covers(5));
  CHECK_FALSE(log.covers(4));
}

TEST_CASE("memory log: callbacks come in id order from concurrent appends", "[log]") {
  ManualClock clock;
  MemoryEventLog log({100000, 0}, clock);
  std::mutex mu;
  std::vector<EventId> order;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        log.append(chat_draft("r", "m"), [&](Result<EventPtr> e) {
          std::lock_guard lock(mu);
          order.push_back((*e)->id);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(order.size() == 2000);
  for (size_t i = 0; i < order.size(); ++i) REQUIRE(order[i] == i + 1);
}
