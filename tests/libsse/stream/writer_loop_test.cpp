// The writer loop through its real doors: posts in, bytes out of real
// sockets, closes reported. Its timers are in writer_loop_timers_test.cpp.

#include "sse/stream/writer_loop.hpp"

#include <catch2/catch.hpp>

#include "sse/wire/encoder.hpp"
#include "writer_loop_harness.hpp"

using namespace sse::test;

TEST_CASE("writer loop: the preamble goes first, then events in order", "[writer_loop]") {
  Harness h(quiet_settings());
  auto stats = std::make_shared<StreamStats>();
  Client client = h.open(1, stats);
  std::vector<EventPtr> events;
  for (sse::EventId id = 1; id <= 20; ++id) {
    events.push_back(event(id));
    h.loop.post_deliver(events.back(), {1});
  }
  const std::string expected = kPreamble + wire(events);
  REQUIRE(client.read_bytes(expected.size()));
  CHECK(client.received() == expected);

  // The stats say what the client got.
  CHECK(eventually([&] { return stats->events_sent == 20; }));
  CHECK(stats->last_event_id == 20);
  CHECK(stats->bytes_sent == expected.size());
  CHECK(h.metrics.events_delivered == 20);
  CHECK(h.metrics.bytes_sent == expected.size());
  CHECK(h.loop.stream_count() == 1);

  h.sync();  // nothing else came: no heartbeat, no duplicate
  CHECK(client.read_available() == expected);
}

TEST_CASE("writer loop: events queued before the socket arrives go out after the preamble",
          "[writer_loop]") {
  Harness h(quiet_settings());
  auto [client_socket, server_socket] = tcp_pair();
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{7, kPreamble, 0, stats});
  std::vector<EventPtr> events = {event(10), event(11), event(12)};
  for (const auto& e : events) h.loop.post_deliver(e, {7});
  h.sync();
  CHECK(stats->bytes_sent == 0);
  CHECK(stats->queued == 4);  // the preamble and three events wait for the socket

  h.loop.post_connect(7, sse::SocketFd::take(server_socket));
  Client client(client_socket);
  const std::string expected = kPreamble + wire(events);
  REQUIRE(client.read_bytes(expected.size()));
  CHECK(client.received() == expected);
  CHECK(eventually([&] { return stats->queued == 0 && stats->last_event_id == 12; }));
}

TEST_CASE("writer loop: one event reaches every target, unknown targets are skipped",
          "[writer_loop]") {
  Harness h(quiet_settings());
  Client a = h.open(1);
  Client b = h.open(2);
  Client c = h.open(3);
  EventPtr e = event(5);
  h.loop.post_deliver(e, {1, 99, 3});
  const std::string expected = kPreamble + e->wire;
  REQUIRE(a.read_bytes(expected.size()));
  REQUIRE(c.read_bytes(expected.size()));
  CHECK(a.received() == expected);
  CHECK(c.received() == expected);
  h.sync();
  CHECK(b.read_available() == kPreamble);
}

TEST_CASE("writer loop: large events survive partial writes, byte for byte", "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  Harness h(settings);
  auto [client_socket, server_socket] = tcp_pair(8 * 1024);
  server_socket.setSendBufferSize(8 * 1024);  // the kernel takes a few KB per writev
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_connect(1, sse::SocketFd::take(server_socket));
  Client client(client_socket);

  std::vector<EventPtr> events;
  for (sse::EventId id = 1; id <= 40; ++id) {
    events.push_back(event(id, std::string(100'000 + id, static_cast<char>('a' + id % 26))));
    h.loop.post_deliver(events.back(), {1});
  }
  const std::string expected = kPreamble + wire(events);
  REQUIRE(client.read_bytes(expected.size()));
  CHECK(client.received().size() == expected.size());
  CHECK(client.received() == expected);
  CHECK(eventually([&] { return stats->events_sent == 40; }));
  CHECK(stats->bytes_sent == expected.size());
  CHECK(stats->last_event_id == 40);
}

TEST_CASE("writer loop: replay pages are written in order and not counted as live",
          "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.max_queued = 2;
  Harness h(settings);
  auto stats = std::make_shared<StreamStats>();
  Client replaying = h.open(1, stats);

  // Pages larger than max_queued: replayed events are paced by the hub, not
  // judged by the live bound.
  std::vector<EventPtr> page1, page2;
  for (sse::EventId id = 1; id <= 5; ++id) page1.push_back(event(id));
  for (sse::EventId id = 6; id <= 10; ++id) page2.push_back(event(id));
  h.loop.post_replay(1, page1);
  h.loop.post_replay(1, page2);
  EventPtr live = event(11);
  h.loop.post_deliver(live, {1});
  const std::string expected = kPreamble + wire(page1) + wire(page2) + live->wire;
  REQUIRE(replaying.read_bytes(expected.size()));
  h.sync();
  CHECK(replaying.read_available() == expected);
  CHECK(eventually([&] { return stats->events_sent == 11; }));
  CHECK(stats->last_event_id == 11);
  CHECK(closed_count(h.metrics, CloseReason::kSlowClient) == 0);
}

TEST_CASE("writer loop: a last replay page queues the caught-up comment after its events",
          "[writer_loop]") {
  Harness h(quiet_settings());
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});  // no socket yet: everything stays queued
  const std::vector<EventPtr> first = {event(1), event(2)}, last = {event(3)};
  const std::string frame(sse::wire::kCaughtUpFrame);
  // As the registry counts a page before it posts it: events, and the
  // comment's bytes with the last page.
  stats->replay_in_flight = first.size() + last.size();
  stats->replay_in_flight_bytes = wire(first).size() + wire(last).size() + frame.size();
  h.loop.post_replay(1, first);
  h.loop.post_replay(1, last, /*caught_up=*/true);
  const EventPtr live = event(4);
  h.loop.post_deliver(live, {1});
  h.sync();

  const std::string expected = kPreamble + wire(first) + wire(last) + frame + live->wire;
  CHECK(stats->replay_in_flight == 0);
  CHECK(stats->replay_in_flight_bytes == 0);
  CHECK(stats->queued == 6);  // preamble, 3 replayed, the comment, the live event
  CHECK(stats->queued_bytes == expected.size());
  CHECK(eventually([&] { return h.loop.queued_bytes() == expected.size(); }));

  auto [client_socket, server_socket] = tcp_pair();
  h.loop.post_connect(1, sse::SocketFd::take(server_socket));
  Client client(client_socket);
  REQUIRE(client.read_bytes(expected.size()));
  h.sync();
  CHECK(client.read_available() == expected);
  // The comment is neither an event nor a heartbeat.
  CHECK(eventually([&] { return stats->events_sent == 4; }));
  CHECK(stats->last_event_id == 4);
  CHECK(stats->bytes_sent == expected.size());
  CHECK(stats->queued_bytes == 0);
  CHECK(h.metrics.heartbeats_sent == 0);
  CHECK(eventually([&] { return h.loop.queued_bytes() == 0; }));
}

TEST_CASE("writer loop: an empty last replay page still queues the caught-up comment",
          "[writer_loop]") {
  Harness h(quiet_settings());
  auto stats = std::make_shared<StreamStats>();
  Client client = h.open(1, stats);
  stats->replay_in_flight_bytes = sse::wire::kCaughtUpFrame.size();
  h.loop.post_replay(1, {}, /*caught_up=*/true);
  const EventPtr live = event(9);
  h.loop.post_deliver(live, {1});
  const std::string expected = kPreamble + std::string(sse::wire::kCaughtUpFrame) + live->wire;
  REQUIRE(client.read_bytes(expected.size()));
  h.sync();
  CHECK(client.read_available() == expected);
  CHECK(stats->replay_in_flight_bytes == 0);
}

TEST_CASE("writer loop: nothing is written after the farewell", "[writer_loop]") {
  Harness h(quiet_settings());
  Client client = h.open(1);
  REQUIRE(client.read_bytes(kPreamble.size()));
  const std::string farewell = "event: maintenance\ndata: {}\n\n";
  // The drain, then a live event and a replay page that were already on
  // their way: neither may follow the farewell.
  std::thread drain([&] { h.loop.drain_and_stop(farewell, h.manual.steady_ms() + 5'000); });
  h.loop.post_deliver(event(7), {1});
  h.loop.post_replay(1, {event(3)}, /*caught_up=*/true);
  client.read_to_eof();
  drain.join();
  const std::string got = client.received();
  REQUIRE(got.size() >= kPreamble.size() + farewell.size());
  CHECK(got.substr(got.size() - farewell.size()) == farewell);
}

TEST_CASE("writer loop: post_close closes the socket and reports the reason", "[writer_loop]") {
  Harness h(quiet_settings());
  Client client = h.open(1);
  REQUIRE(client.read_bytes(kPreamble.size()));
  REQUIRE(h.loop.stream_count() == 1);
  h.loop.post_close(1, CloseReason::kKicked);
  CHECK(client.read_to_eof());
  CHECK(h.closed.wait_for(1) == CloseReason::kKicked);
  CHECK(h.loop.stream_count() == 0);
  CHECK(closed_count(h.metrics, CloseReason::kKicked) == 1);

  // Later posts for it are ignored, and it is not reported twice.
  h.loop.post_deliver(event(1), {1});
  h.loop.post_close(1, CloseReason::kKicked);
  h.sync();
  CHECK(h.closed.count_for(1) == 1);
  CHECK(closed_count(h.metrics, CloseReason::kKicked) == 2);  // 1, and the sync probe
}

TEST_CASE("writer loop: a client that hangs up is reported as gone", "[writer_loop]") {
  Harness h(quiet_settings());
  {
    Client client = h.open(1);
    REQUIRE(client.read_bytes(kPreamble.size()));
  }  // the client end closes here
  CHECK(h.closed.wait_for(1) == CloseReason::kClientGone);
  CHECK(h.loop.stream_count() == 0);
}

TEST_CASE("writer loop: a client that does not read is dropped as slow", "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.max_queued = 4;
  Harness h(settings);
  auto [client_socket, server_socket] = tcp_pair(4096);  // never read below
  server_socket.setSendBufferSize(4096);
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_connect(1, sse::SocketFd::take(server_socket));
  Client fast = h.open(2);

  const std::string big(64 * 1024, 'x');
  std::vector<EventPtr> sent_to_fast;
  for (sse::EventId id = 1; id <= 64 && h.closed.count_for(1) == 0; ++id) {
    EventPtr e = event(id, big);
    h.loop.post_deliver(e, {1, 2});
    sent_to_fast.push_back(e);
    // The reading client keeps up, so only the other one falls behind.
    REQUIRE(fast.read_bytes(kPreamble.size() + wire(sent_to_fast).size()));
  }
  CHECK(h.closed.wait_for(1) == CloseReason::kSlowClient);
  CHECK(closed_count(h.metrics, CloseReason::kSlowClient) == 1);
  CHECK(h.closed.count_for(2) == 0);
  CHECK(stats->queued == 0);
  CHECK(stats->events_sent < sent_to_fast.size());
  CHECK(h.loop.stream_count() == 1);
}

TEST_CASE("writer loop: too many events before the socket arrives is slow too", "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.max_queued = 3;
  Harness h(settings);
  h.loop.post_add(NewStream{1, kPreamble, 0, std::make_shared<StreamStats>()});
  for (sse::EventId id = 1; id <= 3; ++id) h.loop.post_deliver(event(id), {1});
  h.sync();
  CHECK(h.closed.count_for(1) == 0);  // at the bound is fine
  h.loop.post_deliver(event(4), {1});
  CHECK(h.closed.wait_for(1) == CloseReason::kSlowClient);
}

TEST_CASE("writer loop: drain_and_stop writes the farewell, then closes everything",
          "[writer_loop]") {
  std::unique_ptr<Harness> h = std::make_unique<Harness>(quiet_settings());
  Client a = h->open(1);
  Client b = h->open(2);
  h->loop.post_add(NewStream{3, kPreamble, 0, std::make_shared<StreamStats>()});  // no socket
  REQUIRE(a.read_bytes(kPreamble.size()));
  REQUIRE(b.read_bytes(kPreamble.size()));

  const std::string farewell = "event: maintenance\ndata: {\"reason\":\"shutdown\"}\n\n";
  // The socketless stream keeps the drain waiting for its deadline; move the
  // clock there once the others are done.
  std::thread mover([&] {
    a.read_to_eof();
    b.read_to_eof();
    h->manual.advance_ms(10'000);
  });
  h->loop.drain_and_stop(farewell, h->manual.steady_ms() + 5'000);
  mover.join();

  CHECK(a.received() == kPreamble + farewell);
  CHECK(b.received() == kPreamble + farewell);
  CHECK(h->closed.wait_for(1) == CloseReason::kShutdown);
  CHECK(h->closed.wait_for(2) == CloseReason::kShutdown);
  CHECK(h->closed.wait_for(3) == CloseReason::kShutdown);
  CHECK(h->loop.stream_count() == 0);
  CHECK(closed_count(h->metrics, CloseReason::kShutdown) == 3);

  // After stop, posts are refused and nothing is reported for them.
  CHECK_FALSE(h->loop.post_add(NewStream{4, kPreamble, 0, std::make_shared<StreamStats>()}));
  CHECK_FALSE(h->loop.post_close(4, CloseReason::kKicked));
  CHECK(h->loop.stream_count() == 0);
  CHECK(h->closed.size() == 3);
  h.reset();  // and the destructor after drain_and_stop neither hangs nor closes twice
}

TEST_CASE("writer loop: a stream closed before its socket came never writes to it",
          "[writer_loop]") {
  Harness h(quiet_settings());
  auto [client_socket, server_socket] = tcp_pair();
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_deliver(event(1), {1});
  h.loop.post_close(1, CloseReason::kKicked);
  h.loop.post_connect(1, sse::SocketFd::take(server_socket));
  server_socket = Poco::Net::StreamSocket();  // the loop now holds the only server end
  h.sync();

  CHECK(h.closed.count_for(1) == 1);
  CHECK(h.closed.wait_for(1) == CloseReason::kKicked);
  Client client(client_socket);
  CHECK(client.read_to_eof());  // the dropped socket is closed, with not one byte written
  CHECK(client.received().empty());
  CHECK(stats->bytes_sent == 0);
  CHECK(stats->events_sent == 0);
  CHECK(h.loop.stream_count() == 0);
}

TEST_CASE("writer loop: an adopted connection sends its response head before the preamble",
          "[writer_loop]") {
  Harness h(quiet_settings());
  auto [client_socket, server_socket] = tcp_pair();
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{3, kPreamble, 0, stats});
  const std::vector<EventPtr> events = {event(1), event(2)};
  for (const auto& e : events) h.loop.post_deliver(e, {3});
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  sse::SocketFd socket = sse::SocketFd::take(server_socket);
  auto* loop = &h.loop;
  h.loop.post_task([loop, fd = std::make_shared<sse::SocketFd>(std::move(socket)), head] {
    loop->adopt_stream(3, std::move(*fd), head);
  });
  Client client(client_socket);
  const std::string expected = head + kPreamble + wire(events);
  REQUIRE(client.read_bytes(expected.size()));
  CHECK(client.received() == expected);
  CHECK(eventually([&] { return stats->queued_bytes == 0; }));
}

TEST_CASE("writer loop: a stream over its byte bound is slow even under max_queued",
          "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.max_queued_bytes = 16 * 1024;
  Harness h(settings);
  auto [client_socket, server_socket] = tcp_pair(4096);  // never read below
  server_socket.setSendBufferSize(4096);
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_connect(1, sse::SocketFd::take(server_socket));
  const std::string big(8 * 1024, 'x');
  // 200 events of 8 KiB: far over 16 KiB once the kernel's buffers are full,
  // and far under max_queued (1024) in count.
  for (sse::EventId id = 1; id <= 200; ++id) h.loop.post_deliver(event(id, big), {1});
  CHECK(h.closed.wait_for(1) == CloseReason::kSlowClient);
  CHECK(stats->events_sent < 200);
  CHECK(stats->queued_bytes == 0);
}
