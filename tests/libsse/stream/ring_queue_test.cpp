// The queue a stream keeps its chunks in (libsse/src/stream/ring_queue.hpp):
// first in, first out across growth and wrap-around, nothing on the heap while
// it holds at most one chunk, and its heap ring given back once drained.

#include "stream/ring_queue.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "stream/stream_state.hpp"

namespace {

using sse::detail::Chunk;
using sse::detail::RingQueue;

Chunk chunk(sse::EventId id) {
  return {std::make_shared<const std::string>("event " + std::to_string(id)), id, true};
}

std::vector<sse::EventId> ids(RingQueue<Chunk>& queue) {
  std::vector<sse::EventId> out;
  for (size_t i = 0; i < queue.size(); ++i) out.push_back(queue[i].event_id);
  return out;
}

}  // namespace

TEST_CASE("ring queue: empty or holding one chunk, it has nothing on the heap", "[ring_queue]") {
  RingQueue<Chunk> queue;
  CHECK(queue.empty());
  CHECK_FALSE(queue.on_heap());
  CHECK(queue.capacity() == 1);

  queue.push_back(chunk(1));
  CHECK(queue.size() == 1);
  CHECK_FALSE(queue.on_heap());
  CHECK(queue.front().event_id == 1);
  CHECK(*queue.front().bytes == "event 1");

  queue.pop_front();
  CHECK(queue.empty());
  CHECK_FALSE(queue.on_heap());
  // One chunk at a time, as an idle stream's heartbeats come: still inline.
  for (sse::EventId id = 2; id <= 5; ++id) {
    queue.push_back(chunk(id));
    CHECK_FALSE(queue.on_heap());
    CHECK(queue.front().event_id == id);
    queue.pop_front();
  }
}

TEST_CASE("ring queue: a second chunk moves it to a heap ring that doubles, in order",
          "[ring_queue]") {
  RingQueue<Chunk> queue;
  std::vector<size_t> capacities;
  std::vector<sse::EventId> expected;
  for (sse::EventId id = 1; id <= 17; ++id) {
    queue.push_back(chunk(id));
    expected.push_back(id);
    capacities.push_back(queue.capacity());
  }
  CHECK(queue.on_heap());
  CHECK(capacities ==
        std::vector<size_t>{1, 4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16, 32});
  CHECK(ids(queue) == expected);
}

TEST_CASE("ring queue: chunks wrap around the ring and keep their order when it grows",
          "[ring_queue]") {
  RingQueue<Chunk> queue;
  for (sse::EventId id = 1; id <= 4; ++id) queue.push_back(chunk(id));  // a full ring of 4
  queue.pop_front();
  queue.pop_front();
  queue.push_back(chunk(5));  // these two land in the slots 1 and 2 left
  queue.push_back(chunk(6));
  CHECK(queue.capacity() == 4);
  CHECK(ids(queue) == std::vector<sse::EventId>{3, 4, 5, 6});

  queue.push_back(chunk(7));  // full and wrapped: the move to 8 slots unwraps it
  CHECK(queue.capacity() == 8);
  CHECK(ids(queue) == std::vector<sse::EventId>{3, 4, 5, 6, 7});
  for (sse::EventId id = 3; id <= 7; ++id) {
    CHECK(queue.front().event_id == id);
    CHECK(*queue.front().bytes == "event " + std::to_string(id));
    queue.pop_front();
  }
}

TEST_CASE("ring queue: draining it gives the heap ring back", "[ring_queue]") {
  RingQueue<Chunk> queue;
  for (sse::EventId id = 1; id <= 100; ++id) queue.push_back(chunk(id));
  REQUIRE(queue.capacity() == 128);
  for (sse::EventId id = 1; id <= 99; ++id) queue.pop_front();
  CHECK(queue.on_heap());  // not drained yet: one chunk still waits
  CHECK(queue.front().event_id == 100);
  queue.pop_front();
  CHECK(queue.empty());
  CHECK_FALSE(queue.on_heap());
  CHECK(queue.capacity() == 1);

  // And it grows again from the start.
  queue.push_back(chunk(1));
  queue.push_back(chunk(2));
  CHECK(queue.capacity() == 4);
  CHECK(ids(queue) == std::vector<sse::EventId>{1, 2});
}

TEST_CASE("ring queue: every chunk lets go of its bytes exactly once", "[ring_queue]") {
  // One encoded event shared by many queued chunks, as fan-out shares it.
  auto shared = std::make_shared<const std::string>("data: x\n\n");
  {
    RingQueue<Chunk> queue;
    for (int i = 0; i < 10; ++i) queue.push_back({shared, 1, true});  // grown twice
    CHECK(shared.use_count() == 11);
    queue.pop_front();
    queue.pop_front();
    CHECK(shared.use_count() == 9);
    queue.clear();
    CHECK(shared.use_count() == 1);
    CHECK_FALSE(queue.on_heap());

    queue.push_back({shared, 1, true});
    queue.push_back({shared, 2, true});
    CHECK(shared.use_count() == 3);
  }  // the destructor drops what is left
  CHECK(shared.use_count() == 1);
}

TEST_CASE("ring queue: push_front goes before everything queued, inline and on the heap",
          "[ring_queue]") {
  RingQueue<int> queue;
  queue.push_front(2);  // empty: the inline slot
  queue.push_front(1);  // grows
  queue.push_back(3);
  queue.push_back(4);
  queue.push_back(5);  // grows again, with the head not at slot 0
  queue.push_front(0);
  REQUIRE(queue.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(queue[static_cast<size_t>(i)] == i);
  for (int i = 0; i < 6; ++i) {
    CHECK(queue.front() == i);
    queue.pop_front();
  }
  CHECK_FALSE(queue.on_heap());
}
