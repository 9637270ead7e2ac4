// End-to-end, the memory a stream may hold: a replay to a client that does
// not read waits at limits.max_queued_bytes (it is held back, not dropped),
// and once the client reads, every event arrives, in id order.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// A stream client whose socket has a small receive buffer, set before
// connect (the window it advertises is sized then), and that reads only
// when told to.
class SlowReader {
 public:
  SlowReader(int port, int receive_buffer)
      : parser_([this](const sse::wire::ParsedEvent& e) {
          if (e.type != "heartbeat") events_.push_back(e);
        }) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~SlowReader() { ::close(fd_); }
  SlowReader(const SlowReader&) = delete;
  SlowReader& operator=(const SlowReader&) = delete;

  bool send_all(const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until `count` events (heartbeats aside) have arrived; false on
  // timeout or close.
  bool read_events(size_t count, std::chrono::milliseconds patience) {
    const auto deadline = Clock::now() + patience;
    while (events_.size() < count) {
      if (closed_ || Clock::now() >= deadline) return false;
      read_some();
    }
    return true;
  }
  const std::string& head() const { return head_; }
  const std::vector<sse::wire::ParsedEvent>& events() const { return events_; }

 private:
  void read_some() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) return;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    std::string_view bytes(buffer, static_cast<size_t>(n));
    if (!head_done_) {
      head_.append(bytes);
      const size_t end = head_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_done_ = true;
      const std::string rest = head_.substr(end + 4);
      head_.erase(end + 4);
      parser_.feed(rest);
      return;
    }
    parser_.feed(bytes);
  }

  int fd_ = -1;
  bool closed_ = false;
  bool head_done_ = false;
  std::string head_;
  sse::wire::Parser parser_;
  std::vector<sse::wire::ParsedEvent> events_;
};

// What /admin/connections says of `user`'s one realtime stream.
struct Listed {
  bool open = false;  // listed, exactly once
  long long queued_bytes = 0;
};

Listed listed(int port, const std::string& user) {
  auto r = http(port, "GET", "/admin/connections?stream=realtime&user=" + user, "",
                {{"Authorization", "Bearer " + kDemoToken}}, kPatience);
  REQUIRE(r.status == 200);
  auto connections =
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getArray(
          "connections");
  Listed out;
  if (connections->size() != 1) return out;
  auto stream = connections->getObject(0);
  INFO(r.body);
  REQUIRE(stream->has("queuedBytes"));
  out.open = true;
  out.queued_bytes = stream->getValue<long long>("queuedBytes");
  return out;
}

}  // namespace

TEST_CASE("a replay to a client that does not read stays within max_queued_bytes and loses nothing",
          "[edge][memory]") {
  constexpr long long kMaxQueued = 65536;
  constexpr size_t kEvents = 3000;
  ServerProcess server({{"SSE_LIMITS_MAX_QUEUED_BYTES", std::to_string(kMaxQueued)},
                        {"SSE_HISTORY_MAX_EVENTS", "1000000"},
                        {"SSE_HISTORY_SYNC", "normal"},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  // 3,000 events of about 2 KB: 6 MB, more than the kernel buffers between
  // the server and a client that does not read will hold.
  const std::string publisher = user_token("publisher");
  const std::string blob(2000, 'm');
  std::vector<std::string> ids;
  for (size_t i = 0; i < kEvents; ++i) {
    auto r = post_json(server.port(), "/realtime/update", publisher,
                       R"({"entityType":"bulk","entityId":")" + std::to_string(i) +
                           R"(","action":"update","data":{"blob":")" + blob + "\"}}");
    INFO(r.body);
    REQUIRE(r.status == 202);
    ids.push_back(json_string(r.body, "id"));
  }

  SlowReader reader(server.port(), 4096);
  REQUIRE(reader.send_all("GET /realtime/stream?token=" + user_token("slow") +
                          " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                          "Last-Event-ID: 0\r\n\r\n"));
  // Not reading: the replay fills what it may and waits there.
  long long most = 0;
  const auto deadline = Clock::now() + kPatience;
  Listed now;
  while (Clock::now() < deadline) {
    now = listed(server.port(), "slow");
    most = std::max(most, now.queued_bytes);
    if (now.open && now.queued_bytes > 0) break;
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(now.open);
  REQUIRE(most > 0);
  // And it stays open, and within the bound, while the client still reads nothing.
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(100ms);
    now = listed(server.port(), "slow");
    INFO("poll " << i);
    REQUIRE(now.open);
    most = std::max(most, now.queued_bytes);
  }

  // Now it reads: everything arrives, in id order, nothing missing.
  REQUIRE(reader.read_events(kEvents, 4 * kPatience));
  const auto head = take_response(reader.head());
  REQUIRE(head.has_value());
  CHECK(head->first.status == 200);
  CHECK(head->first.header("X-SSE-Replay") == "complete");
  std::vector<std::string> received;
  size_t largest = 0;  // the wire size of the largest event
  for (const auto& e : reader.events()) {
    received.push_back(e.last_event_id);
    largest = std::max(
        largest,
        ("id: " + e.last_event_id + "\nevent: " + e.type + "\ndata: " + e.data + "\n\n").size());
  }
  CHECK(received == ids);
  INFO("largest event " << largest << " bytes");
  CHECK(most <= kMaxQueued + static_cast<long long>(largest));
}
