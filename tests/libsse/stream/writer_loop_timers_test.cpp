// The writer loop's timers on a manual clock: heartbeats, idle timeouts,
// token expiry. The loop has no timeout of its own on an injected clock; it
// looks at its timers when the clock says it moved, so nothing here waits
// for real time to pass.

#include <catch2/catch.hpp>

#include "no_free_descriptors.hpp"
#include "sse/util/time_format.hpp"
#include "writer_loop_harness.hpp"

using namespace sse::test;

TEST_CASE("writer loop: heartbeats go out at the interval, without an id", "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.heartbeat_interval_ms = 50;
  Harness h(settings);
  auto stats = std::make_shared<StreamStats>();
  Client client = h.open(1, stats);
  REQUIRE(client.read_bytes(kPreamble.size()));
  h.manual.advance_ms(50);
  REQUIRE(client.read_until_contains("event: heartbeat\n", 1));
  h.manual.advance_ms(50);
  REQUIRE(client.read_until_contains("event: heartbeat\n", 2));

  const std::string& got = client.received();
  REQUIRE(got.rfind(kPreamble, 0) == 0);
  const size_t at = got.find("event: heartbeat\n");
  const size_t end = got.find("\n\n", at);
  REQUIRE(end != std::string::npos);
  const std::string frame = got.substr(at, end + 2 - at);
  CAPTURE(frame);
  const std::string prefix = "event: heartbeat\ndata: {\"timestamp\":\"";
  REQUIRE(frame.rfind(prefix, 0) == 0);
  const std::string timestamp = frame.substr(prefix.size(), frame.size() - prefix.size() - 4);
  CHECK(frame.substr(frame.size() - 4) == "\"}\n\n");
  CHECK(sse::parse_iso8601_ms(timestamp) == h.manual.now_ms() - 50);  // the loop's clock
  CHECK(got.find("id:") == std::string::npos);  // heartbeats do not move the last event id

  CHECK(stats->events_sent == 0);
  CHECK(stats->last_event_id == 0);
  CHECK(eventually([&] { return h.metrics.heartbeats_sent >= 2; }));
  CHECK(h.metrics.events_delivered == 0);
}

TEST_CASE("writer loop: an idle stream is closed, events keep it open, heartbeats do not",
          "[writer_loop]") {
  WriterOptions settings = quiet_settings();
  settings.idle_timeout_ms = 60'000;
  settings.heartbeat_interval_ms = 25'000;
  Harness h(settings);
  Client client = h.open(1);
  REQUIRE(client.read_bytes(kPreamble.size()));

  h.manual.advance_ms(40'000);  // one heartbeat; idle for 40 s
  h.sync();
  CHECK(h.closed.count_for(1) == 0);
  REQUIRE(client.read_until_contains("event: heartbeat\n"));

  EventPtr e = event(1);
  h.loop.post_deliver(e, {1});  // delivered at 40 s: idle from here
  REQUIRE(client.read_until_contains(e->wire));
  h.manual.advance_ms(59'000);  // 99 s: another heartbeat, 59 s since the event
  h.sync();
  CHECK(h.closed.count_for(1) == 0);
  REQUIRE(client.read_until_contains("event: heartbeat\n", 2));

  h.manual.advance_ms(1'000);  // 60 s since the event
  CHECK(h.closed.wait_for(1) == CloseReason::kIdleTimeout);
  CHECK(client.read_to_eof());
  CHECK(closed_count(h.metrics, CloseReason::kIdleTimeout) == 1);
}

TEST_CASE("writer loop: an idle timeout of 0 never closes", "[writer_loop]") {
  Harness h(quiet_settings());
  Client client = h.open(1);
  h.manual.advance_ms(24 * kHour);
  h.sync();
  CHECK(h.closed.count_for(1) == 0);
}

TEST_CASE("writer loop: a stream is closed when its token expires", "[writer_loop]") {
  Harness h(quiet_settings());
  const int64_t expires = h.manual.now_ms() + 30'000;
  Client client = h.open(1, nullptr, expires);
  Client forever = h.open(2);
  REQUIRE(client.read_bytes(kPreamble.size()));

  h.manual.advance_ms(29'999);
  h.sync();
  CHECK(h.closed.count_for(1) == 0);

  h.manual.advance_ms(1'001);  // past the expiry, and a scan due
  CHECK(h.closed.wait_for(1) == CloseReason::kTokenExpired);
  CHECK(client.read_to_eof());
  h.sync();
  CHECK(h.closed.count_for(2) == 0);
}

TEST_CASE("writer loop: a loop that cannot make its epoll instance is an error, not a throw",
          "[writer_loop]") {
  ManualClock clock;
  Metrics metrics;
  ClosedLog closed;
  sse::Result<std::unique_ptr<WriterLoop>> loop = sse::Error::internal("not tried");
  if (!sse::test::kCanExhaustDescriptors) {
    WARN("passed over under UBSan: it needs a free descriptor (no_free_descriptors.hpp)");
    return;
  }
  bool exhausted_all = false;
  {
    // No Catch2 assertion in here: UBSan's type checks need a descriptor.
    sse::test::NoFreeDescriptors exhausted;
    exhausted_all = exhausted.active();
    loop = WriterLoop::create(quiet_settings(), clock, metrics, closed.callback());
  }
  REQUIRE(exhausted_all);
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().is_unavailable());
  CHECK(loop.message().find("epoll_create1") != std::string::npos);
  // With descriptors free again, it starts.
  CHECK(WriterLoop::create(quiet_settings(), clock, metrics, closed.callback()).ok());
}

TEST_CASE("writer loop: a manual clock tells its watchers every move, until the watch dies",
          "[writer_loop]") {
  ManualClock clock;
  int calls = 0;
  sse::ClockWatch watch = clock.watch([&] { ++calls; });
  CHECK(static_cast<bool>(watch));
  clock.advance_ms(5);
  clock.set_ms(clock.now_ms() + 1'000);
  CHECK(calls == 2);
  sse::ClockWatch moved = std::move(watch);
  clock.advance_ms(1);
  CHECK(calls == 3);
  moved.reset();
  clock.advance_ms(1);
  CHECK(calls == 3);
  // The real clock moves by itself and tells no one.
  CHECK_FALSE(static_cast<bool>(sse::SystemClock::instance().watch([&] { ++calls; })));
}

TEST_CASE("writer loop: on a manual clock, a timer fires when the clock passes it",
          "[writer_loop]") {
  // The loop has no timeout of its own on an injected clock: were it not
  // woken by the move, the close below would never come.
  Harness h(quiet_settings());
  Client client = h.open(1, nullptr, h.manual.now_ms() + 10 * kHour);
  REQUIRE(client.read_bytes(kPreamble.size()));
  h.manual.advance_ms(10 * kHour);
  CHECK(h.closed.wait_for(1) == CloseReason::kTokenExpired);
  CHECK(client.read_to_eof());
}
