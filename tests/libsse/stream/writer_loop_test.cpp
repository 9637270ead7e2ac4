#include "sse/stream/writer_loop.hpp"

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

#include "no_free_descriptors.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/time_format.hpp"

using namespace std::chrono_literals;
using sse::CloseReason;
using sse::EventPtr;
using sse::ManualClock;
using sse::Metrics;
using sse::NewStream;
using sse::StreamId;
using sse::StreamStats;
using sse::WriterLoop;
using sse::WriterSettings;

namespace {

constexpr auto kPatience = 5s;  // the most any wait below takes when things work
constexpr int64_t kHour = 3'600'000;
const std::string kPreamble = "retry: 3000\n\n";

// The reading end of a stream, as an EventSource client would see it.
class Client {
 public:
  explicit Client(Poco::Net::StreamSocket socket) : socket_(std::move(socket)) {}

  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

  // Reads until `done(received())`, EOF, or kPatience; true when done.
  bool read_until(const std::function<bool(const std::string&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!done(received_)) {
      if (eof_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      read_some(static_cast<int>(left.count()));
    }
    return true;
  }
  bool read_bytes(size_t count) {
    return read_until([count](const std::string& r) { return r.size() >= count; });
  }
  bool read_until_contains(const std::string& needle, size_t occurrences = 1) {
    return read_until([&](const std::string& r) { return count_of(r, needle) >= occurrences; });
  }
  bool read_to_eof() {
    return read_until([this](const std::string&) { return eof_; }) || eof_;
  }
  // Takes what has arrived by now without waiting.
  const std::string& read_available() {
    while (!eof_ && read_some(0)) {
    }
    return received_;
  }

  static size_t count_of(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

 private:
  // One poll and one recv; false when nothing came.
  bool read_some(int timeout_ms) {
    pollfd pfd{socket_.impl()->sockfd(), POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
    char buffer[65536];
    const ssize_t n = ::recv(pfd.fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      eof_ = true;  // FIN, or a reset: either way the server closed it
      return false;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  Poco::Net::StreamSocket socket_;
  std::string received_;
  bool eof_ = false;
};

// A connected TCP pair on loopback: {client end, server end}.
std::pair<Poco::Net::StreamSocket, Poco::Net::StreamSocket> tcp_pair(int client_rcvbuf = 0) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress::IPv4);
  if (client_rcvbuf > 0) client.setReceiveBufferSize(client_rcvbuf);  // before the handshake
  client.connect(Poco::Net::SocketAddress("127.0.0.1", listener.address().port()));
  Poco::Net::StreamSocket server = listener.acceptConnection();
  return {client, server};
}

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

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

EventPtr event(sse::EventId id, std::string data = "") {
  if (data.empty()) data = R"({"n":)" + std::to_string(id) + "}";
  auto made = sse::restore_event(id, sse::Channel::kChat, "message", std::move(data), {}, 0);
  REQUIRE(made.ok());
  return *made;
}

std::string wire(const std::vector<EventPtr>& events) {
  std::string out;
  for (const auto& e : events) out += e->wire;
  return out;
}

WriterSettings quiet_settings() {
  WriterSettings s;
  s.heartbeat_interval_ms = kHour;
  s.idle_timeout_ms = 0;
  s.max_queued = 1024;
  return s;
}

std::unique_ptr<WriterLoop> make_loop(WriterSettings settings, const sse::Clock& clock,
                                      Metrics& metrics, WriterLoop::ClosedCallback on_closed) {
  auto loop = WriterLoop::create(settings, clock, metrics, std::move(on_closed));
  REQUIRE(loop.ok());
  return std::move(*loop);
}

// A loop with everything a test looks at; members die in reverse order, the
// loop first (its destructor still calls the ClosedCallback). Its clock is
// the manual one: the loop wakes when the test moves it, never by itself.
struct Harness {
  explicit Harness(WriterSettings settings)
      : owned(make_loop(settings, manual, metrics, closed.callback())), loop(*owned) {}

  // Registers stream `id` and hands it its socket; returns the client end.
  Client open(StreamId id, std::shared_ptr<StreamStats> stats = nullptr,
              int64_t expires_at_ms = 0) {
    auto [client, server] = tcp_pair();
    loop.post_add(NewStream{id, kPreamble, expires_at_ms,
                            stats ? std::move(stats) : std::make_shared<StreamStats>()});
    loop.post_connect(id, server);
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

uint64_t closed_count(const Metrics& m, CloseReason reason) {
  return m.streams_closed[static_cast<size_t>(reason)].load();
}

}  // namespace

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

  h.loop.post_connect(7, server_socket);
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
  WriterSettings settings = quiet_settings();
  Harness h(settings);
  auto [client_socket, server_socket] = tcp_pair(8 * 1024);
  server_socket.setSendBufferSize(8 * 1024);  // the kernel takes a few KB per writev
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_connect(1, server_socket);
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
  WriterSettings settings = quiet_settings();
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

TEST_CASE("writer loop: nothing is written after the farewell", "[writer_loop]") {
  Harness h(quiet_settings());
  Client client = h.open(1);
  REQUIRE(client.read_bytes(kPreamble.size()));
  const std::string farewell = "event: maintenance\ndata: {}\n\n";
  // The drain, then a live event and a replay page that were already on
  // their way: neither may follow the farewell.
  std::thread drain([&] { h.loop.drain_and_stop(farewell, h.manual.steady_ms() + 5'000); });
  h.loop.post_deliver(event(7), {1});
  h.loop.post_replay(1, {event(3)});
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
  WriterSettings settings = quiet_settings();
  settings.max_queued = 4;
  Harness h(settings);
  auto [client_socket, server_socket] = tcp_pair(4096);  // never read below
  server_socket.setSendBufferSize(4096);
  auto stats = std::make_shared<StreamStats>();
  h.loop.post_add(NewStream{1, kPreamble, 0, stats});
  h.loop.post_connect(1, server_socket);
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
  WriterSettings settings = quiet_settings();
  settings.max_queued = 3;
  Harness h(settings);
  h.loop.post_add(NewStream{1, kPreamble, 0, std::make_shared<StreamStats>()});
  for (sse::EventId id = 1; id <= 3; ++id) h.loop.post_deliver(event(id), {1});
  h.sync();
  CHECK(h.closed.count_for(1) == 0);  // at the bound is fine
  h.loop.post_deliver(event(4), {1});
  CHECK(h.closed.wait_for(1) == CloseReason::kSlowClient);
}

TEST_CASE("writer loop: heartbeats go out at the interval, without an id", "[writer_loop]") {
  WriterSettings settings = quiet_settings();
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
  WriterSettings settings = quiet_settings();
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
  h.loop.post_connect(1, server_socket);
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

TEST_CASE("writer loop: a loop that cannot make its epoll instance is an error, not a throw",
          "[writer_loop]") {
  ManualClock clock;
  Metrics metrics;
  ClosedLog closed;
  sse::Result<std::unique_ptr<WriterLoop>> loop = sse::Error::internal("not tried");
  {
    sse::test::NoFreeDescriptors exhausted;
    REQUIRE(exhausted.active());
    loop = WriterLoop::create(quiet_settings(), clock, metrics, closed.callback());
  }
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
