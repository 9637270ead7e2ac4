// End-to-end, the HTTP edge's connections: kept-alive and silent sockets hold
// no request handler, heads and bodies trickled past their deadlines end in
// one 408, SIGTERM closes whatever is half sent, thousands of streams open at
// once, pipelined requests are answered in order, HEAD answers without a body,
// and anonymous status streams have a cap of their own.

#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

std::string get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n";
}

// A JSON POST's head; `framing` is its Content-Length or Transfer-Encoding line.
std::string post_head(const std::string& target, const std::string& token,
                      const std::string& framing) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

std::string post(const std::string& target, const std::string& token, const std::string& json) {
  return post_head(target, token, "Content-Length: " + std::to_string(json.size()) + "\r\n") + json;
}

// The demo admin's notification to itself: a publish that needs no stream.
const std::string kNote = R"({"title":"t","message":"through"})";

// One connection kept alive across requests; its answers read one by one.
class KeptAlive {
 public:
  explicit KeptAlive(int port) : socket_(port) {}
  bool send(const std::string& bytes) { return socket_.send_all(bytes); }
  // Sends `request` and reads its answer; nullopt when the connection closes
  // or kPatience passes first.
  std::optional<RawResponse> exchange(const std::string& request, bool head_only = false) {
    if (!socket_.send_all(request)) return std::nullopt;
    return next(head_only);
  }
  // The next answer on the connection.
  std::optional<RawResponse> next(bool head_only = false) {
    const auto deadline = Clock::now() + kPatience;
    for (;;) {
      if (auto whole = take_response(buffer_, head_only)) {
        buffer_.erase(0, whole->second);
        return std::move(whole->first);
      }
      if (socket_.closed() || Clock::now() >= deadline) return std::nullopt;
      buffer_ += socket_.receive(50ms);
    }
  }
  // Reads until the server closes; what arrived after the last answer read.
  RawReply rest_until_closed() {
    RawReply reply = read_until_closed(socket_, kPatience);
    reply.bytes.insert(0, buffer_);
    buffer_.clear();
    return reply;
  }
  bool closed() const { return socket_.closed(); }

 private:
  Socket socket_;
  std::string buffer_;
};

// Publishes a realtime update as `token`; the 202's body.
std::string publish_update(int port, const std::string& token) {
  auto r =
      http(port, "POST", "/realtime/update",
           R"({"entityType":"storm","entityId":"1","action":"update","data":null})",
           {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, kPatience);
  INFO(r.body);
  REQUIRE(r.status == 202);
  return r.body;
}

// Many connections on one epoll, all started at once: each sends `request`
// as soon as it is connected and keeps every byte it receives.
class Crowd {
 public:
  Crowd(int port, size_t count, std::string request) : request_(std::move(request)) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    REQUIRE(epoll_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peers_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      Peer& peer = peers_[i];
      peer.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      REQUIRE(peer.fd >= 0);
      const int rc = ::connect(peer.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      REQUIRE((rc == 0 || errno == EINPROGRESS));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u64 = i;
      REQUIRE(::epoll_ctl(epoll_, EPOLL_CTL_ADD, peer.fd, &ev) == 0);
    }
  }
  ~Crowd() {
    for (auto& peer : peers_) {
      if (peer.fd >= 0) ::close(peer.fd);
    }
    ::close(epoll_);
  }
  Crowd(const Crowd&) = delete;
  Crowd& operator=(const Crowd&) = delete;

  // Runs until `done(bytes)` holds for every connection or `patience`
  // passes; how many it holds for.
  size_t wait_until(const std::function<bool(const std::string&)>& done,
                    std::chrono::milliseconds patience) {
    const auto deadline = Clock::now() + patience;
    for (;;) {
      size_t count = 0;
      for (const auto& peer : peers_) count += done(peer.bytes);
      if (count == peers_.size() || Clock::now() >= deadline) return count;
      pump(50);
    }
  }
  size_t closed() const {
    size_t n = 0;
    for (const auto& peer : peers_) n += peer.closed;
    return n;
  }

 private:
  struct Peer {
    int fd = -1;
    bool sent = false;
    bool closed = false;
    std::string bytes;
  };
  void pump(int timeout_ms) {
    epoll_event events[512];
    const int n = ::epoll_wait(epoll_, events, 512, timeout_ms);
    for (int e = 0; e < n; ++e) {
      Peer& peer = peers_[events[e].data.u64];
      if (!peer.sent && (events[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(peer.fd, SOL_SOCKET, SO_ERROR, &error, &len);
        // A small request on a fresh connection goes in one send.
        if (error != 0 || ::send(peer.fd, request_.data(), request_.size(), MSG_NOSIGNAL) !=
                              static_cast<ssize_t>(request_.size())) {
          close_peer(peer);
          continue;
        }
        peer.sent = true;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = events[e].data.u64;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, peer.fd, &ev);
      }
      if (peer.sent && (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        char buffer[16384];
        for (;;) {
          const ssize_t got = ::recv(peer.fd, buffer, sizeof buffer, 0);
          if (got > 0) {
            peer.bytes.append(buffer, static_cast<size_t>(got));
            continue;
          }
          if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_peer(peer);
          break;
        }
      }
    }
  }
  void close_peer(Peer& peer) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, peer.fd, nullptr);
    ::close(peer.fd);
    peer.fd = -1;
    peer.closed = true;
  }

  int epoll_ = -1;
  std::string request_;
  std::vector<Peer> peers_;
};

// As many open files as the hard limit allows (the server, started after,
// inherits it); the soft limit reached.
rlim_t raise_fd_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace

TEST_CASE("50 idle kept-alive connections hold none of 2 request handlers", "[edge][keepalive]") {
  ServerProcess server({{"SSE_SERVER_THREADS", "2"}, {"SSE_SERVER_KEEPALIVE_TIMEOUT", "5m"}});
  std::vector<std::unique_ptr<KeptAlive>> idle;
  for (int i = 0; i < 50; ++i) {
    INFO("connection " << i);
    idle.push_back(std::make_unique<KeptAlive>(server.port()));
    auto first = idle.back()->exchange(get("/health"));
    REQUIRE(first.has_value());
    REQUIRE(first->status == 200);
  }
  // A 51st client, while the 50 sit idle, on a route the request handlers
  // serve (/metrics runs on the pool, /health on the loop).
  CHECK(http(server.port(), "GET", "/metrics", "", {}, kPatience).status == 200);
  // Each idle connection is still open and answers again, on the same socket.
  for (size_t i = 0; i < idle.size(); ++i) {
    INFO("connection " << i);
    CHECK(!idle[i]->closed());
    auto second = idle[i]->exchange(get("/metrics"));
    REQUIRE(second.has_value());
    CHECK(second->status == 200);
    CHECK(second->body.find("sse_http_connections ") != std::string::npos);
  }
}

TEST_CASE("an idle kept-alive connection is closed unanswered at keepalive_timeout",
          "[edge][keepalive]") {
  // The head deadline is long: the idle time between requests is its own.
  ServerProcess server(
      {{"SSE_SERVER_KEEPALIVE_TIMEOUT", "1s"}, {"SSE_SERVER_REQUEST_TIMEOUT", "5m"}});
  KeptAlive connection(server.port());
  auto answer = connection.exchange(get("/health"));
  REQUIRE(answer.has_value());
  REQUIRE(answer->status == 200);
  const RawReply after = connection.rest_until_closed();
  CHECK(after.closed);
  CHECK(after.bytes.empty());
}

TEST_CASE("300 silent sockets starve neither requests nor publishes nor streams",
          "[edge][silent]") {
  // The head deadline is long: the silent sockets stay open all the test.
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "5m"}});
  std::vector<std::unique_ptr<Socket>> silent;
  for (int i = 0; i < 300; ++i) {
    silent.push_back(std::make_unique<Socket>(server.port()));
    REQUIRE(!silent.back()->closed());
  }
  CHECK(http(server.port(), "GET", "/health", "", {}, kPatience).status == 200);
  SseClient notes(server.port(), "/notifications/stream?token=" + kDemoToken);
  REQUIRE(notes.status() == 200);
  auto sent = http(
      server.port(), "POST", "/notifications/send", kNote,
      {{"Authorization", "Bearer " + kDemoToken}, {"Content-Type", "application/json"}}, kPatience);
  REQUIRE(sent.status == 202);
  CHECK(notes.wait_for_id(json_string(sent.body, "id"), kPatience).has_value());
  CHECK(notes.retry_ms().has_value());  // the stream's preamble came first
  // The silent sockets were not dropped to make room: still open, unanswered.
  size_t open = 0;
  std::string received;
  for (auto& s : silent) {
    received += s->receive(0ms);
    open += !s->closed();
  }
  CHECK(open == silent.size());
  CHECK(received.empty());
}

TEST_CASE("a silent socket is closed unanswered at request_timeout", "[edge][silent]") {
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "1s"}});
  Socket silent(server.port());
  const RawReply reply = read_until_closed(silent, kPatience);
  CHECK(reply.closed);
  CHECK(reply.bytes.empty());
}

TEST_CASE("40 slowloris heads each get one 408 at request_timeout while others are served",
          "[edge][slow]") {
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "2s"}});
  // A byte of a head every 300 ms from the first on: each byte well inside
  // any per-read timeout, the whole head (3 KB: 15 minutes) far past 2 s.
  Tricklers slowloris(server.port(), 40, "",
                      get("/health", "X-Slow: " + std::string(3000, 'z') + "\r\n"), 300ms);
  REQUIRE(slowloris.wait_sent(1, kPatience));
  CHECK(http(server.port(), "GET", "/health", "", {}, kPatience).status == 200);
  CHECK(http(server.port(), "POST", "/notifications/send", kNote,
             {{"Authorization", "Bearer " + kDemoToken}, {"Content-Type", "application/json"}},
             kPatience)
            .status == 202);
  CHECK(slowloris.wait_all_closed(kPatience));
  CHECK(slowloris.all_cut_short());
  slowloris.stop();
  for (size_t i = 0; i < slowloris.size(); ++i) {
    INFO("slowloris " << i);
    expect_refusal(slowloris.reply(i), 408, "request_timeout");
  }
}

TEST_CASE("bodies trickled past body_timeout get 408 and publish nothing", "[edge][slow]") {
  // The head deadline is long: the body's is its own, from the end of the head.
  ServerProcess server({{"SSE_SERVER_BODY_TIMEOUT", "2s"}, {"SSE_SERVER_REQUEST_TIMEOUT", "5m"}});
  SseClient room(server.port(), "/chat/stream?room=general&token=" + user_token("reader"));
  REQUIRE(room.wait_for_events(1, kPatience));  // the reader's own user-joined
  const std::string json = R"({"roomId":"general","message":"trickled"})";
  // Chunked: the chunk-size line (with a chunk extension, 100 bytes: 50 s)
  // one byte every 500 ms; then the data and the last chunk, never reached.
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", json.size());
  Tricklers chunked(
      server.port(), 1, post_head("/chat/send", kAlice, "Transfer-Encoding: chunked\r\n"),
      std::string(size_hex) + ";trickle=" + std::string(100, 'x') + "\r\n" + json + "\r\n0\r\n\r\n",
      500ms);
  // By Content-Length: the body one byte every 500 ms (21 s).
  Tricklers sized(
      server.port(), 1,
      post_head("/chat/send", kAlice, "Content-Length: " + std::to_string(json.size()) + "\r\n"),
      json, 500ms);
  CHECK(chunked.wait_all_closed(kPatience));
  CHECK(sized.wait_all_closed(kPatience));
  CHECK(chunked.all_cut_short());
  CHECK(sized.all_cut_short());
  chunked.stop();
  sized.stop();
  expect_refusal(chunked.reply(0), 408, "request_timeout");
  expect_refusal(sized.reply(0), 408, "request_timeout");
  // Nothing was published: before a marker, only the reader's user-joined.
  const auto marked = room.wait_for_id(mark_chat(server.port(), "general"), kPatience);
  REQUIRE(marked.has_value());
  CHECK(types_before(room, *marked) == std::vector<std::string>{"user-joined"});
}

TEST_CASE("SIGTERM with trickling clients sends the farewell and closes every socket and exits 0",
          "[edge][shutdown]") {
  // Deadlines far away: the trickling clients are mid-request at SIGTERM.
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "5m"}, {"SSE_SERVER_BODY_TIMEOUT", "5m"}});
  SseClient notes(server.port(), "/notifications/stream?token=" + kAlice);
  REQUIRE(notes.status() == 200);
  Tricklers heads(server.port(), 5, "",
                  get("/health", "X-Slow: " + std::string(3000, 'z') + "\r\n"), 300ms);
  const std::string body = R"({"roomId":"general","message":")" + std::string(3000, 'b') + "\"}";
  Tricklers bodies(
      server.port(), 2,
      post_head("/chat/send", kAlice, "Content-Length: " + std::to_string(body.size()) + "\r\n"),
      body, 300ms);
  REQUIRE(heads.wait_sent(3, kPatience));
  REQUIRE(bodies.wait_sent(3, kPatience));

  auto code = server.stop(SIGTERM, kPatience);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(heads.wait_all_closed(kPatience));
  CHECK(bodies.wait_all_closed(kPatience));
  CHECK(heads.all_cut_short());
  CHECK(bodies.all_cut_short());
  REQUIRE(notes.wait_closed(kPatience));
  const auto events = notes.real_events();
  REQUIRE(!events.empty());
  CHECK(events.back().type == "maintenance");
  CHECK(json_string(events.back().data, "reason") == "shutdown");
  // The port was let go: a server starts on it again and serves.
  server.restart();
  CHECK(http(server.port(), "GET", "/health", "", {}, kPatience).status == 200);
}

TEST_CASE("3000 streams opened at once all get 200 and retry and then one event reaches all",
          "[edge][storm]") {
  REQUIRE(raise_fd_limit() >= 7000);
  constexpr size_t kStreams = 3000;
  ServerProcess server(
      {{"SSE_LIMITS_MAX_CONNECTIONS", "4000"}, {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "4000"}});
  const std::string token = user_token("storm");
  Crowd crowd(server.port(), kStreams,
              get("/realtime/stream?token=" + token, "Accept: text/event-stream\r\n"));
  const auto opened = [](const std::string& bytes) {
    const size_t head_end = bytes.find("\r\n\r\n");
    return head_end != std::string::npos && bytes.find("retry:", head_end) != std::string::npos;
  };
  CHECK(crowd.wait_until(opened, 2 * kPatience) == kStreams);
  CHECK(crowd.wait_until(
            [](const std::string& bytes) { return bytes.rfind("HTTP/1.1 200", 0) == 0; }, 0ms) ==
        kStreams);
  CHECK(crowd.closed() == 0);

  const std::string published = publish_update(server.port(), token);
  CHECK(json_int(published, "delivered") == static_cast<long long>(kStreams));
  const std::string id_line = "\nid: " + json_string(published, "id") + "\n";
  CHECK(crowd.wait_until(
            [&](const std::string& bytes) { return bytes.find(id_line) != std::string::npos; },
            2 * kPatience) == kStreams);
}

TEST_CASE("three pipelined requests get three answers in order on one connection",
          "[edge][pipelining]") {
  ServerProcess server;
  SseClient notes(server.port(), "/notifications/stream?token=" + kDemoToken);
  REQUIRE(notes.status() == 200);
  KeptAlive connection(server.port());
  REQUIRE(connection.send(get("/health") + post("/notifications/send", kDemoToken, kNote) +
                          get("/health")));
  const auto first = connection.next();
  const auto second = connection.next();
  const auto third = connection.next();
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  REQUIRE(third.has_value());
  CHECK(first->status == 200);
  CHECK(first->body == R"({"status":"ok"})");
  INFO(second->body);
  CHECK(second->status == 202);
  CHECK(third->status == 200);
  CHECK(third->body == R"({"status":"ok"})");
  // The publish ran, and the connection is still open for a fourth request.
  CHECK(notes.wait_for_id(json_string(second->body, "id"), kPatience).has_value());
  const auto fourth = connection.exchange(get("/health"));
  REQUIRE(fourth.has_value());
  CHECK(fourth->status == 200);
}

TEST_CASE("a request pipelined after Connection: close is not answered", "[edge][pipelining]") {
  ServerProcess server;
  auto reply = raw_exchange(
      server.port(), get("/health", "Connection: close\r\n") + get("/system/status"), kPatience);
  CHECK(reply.closed);
  CHECK(reply.statuses() == std::vector<int>{200});
  CHECK(reply.bytes.find(R"({"status":"ok"})") != std::string::npos);
  CHECK(reply.bytes.find("\"uptime\"") == std::string::npos);
}

TEST_CASE("HEAD /health and HEAD /ready: the GET's Content-Length and no body",
          "[edge][pipelining]") {
  ServerProcess server;
  for (const std::string path : {"/health", "/ready"}) {
    INFO(path);
    const auto got = http(server.port(), "GET", path, "", {}, kPatience);
    REQUIRE(got.status == 200);
    REQUIRE(!got.body.empty());
    // The HEAD's answer, then at once the next pipelined request's.
    auto reply = raw_exchange(
        server.port(),
        "HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n" + get(path, "Connection: close\r\n"),
        kPatience);
    CHECK(reply.closed);
    const auto answers = split_responses(reply.bytes, {true, false});
    REQUIRE(answers.size() == 2);
    CHECK(answers[0].status_line == "HTTP/1.1 200 OK");
    CHECK(answers[0].header("Content-Length") == std::to_string(got.body.size()));
    CHECK(answers[0].header("Content-Type") == "application/json");
    const size_t second = reply.bytes.find("\r\n\r\n") + 4;
    CHECK(reply.bytes.compare(second, 15, "HTTP/1.1 200 OK") == 0);  // no body bytes between
    CHECK(answers[1].status == 200);
    CHECK(answers[1].body == got.body);
  }
}

TEST_CASE("anonymous status streams stop at max_anonymous_connections but a token still gets in",
          "[edge][limits]") {
  ServerProcess server({{"SSE_LIMITS_MAX_ANONYMOUS_CONNECTIONS", "2"}});
  SseClient first(server.port(), "/system/status/stream");
  SseClient second(server.port(), "/system/status/stream");
  REQUIRE(first.status() == 200);
  REQUIRE(second.status() == 200);
  KeptAlive third(server.port());
  const auto refused = third.exchange(get("/system/status/stream"));
  REQUIRE(refused.has_value());
  INFO(refused->body);
  CHECK(refused->status_line == "HTTP/1.1 429 Too Many Requests");
  CHECK(refused->header("Content-Type") == "application/json");
  CHECK(!refused->header("Retry-After").empty());
  CHECK(refused->body.rfind(R"({"error":{"code":"too_many_requests","message":")", 0) == 0);
  SseClient named(server.port(), "/system/status/stream",
                  {{"Authorization", "Bearer " + user_token("named")}});
  CHECK(named.status() == 200);
}
