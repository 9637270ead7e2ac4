// The HTTP edge on a real writer loop and real loopback sockets, with a
// handler of the test's own: pipelining, keep-alive, the busy answer, the
// deadlines on a manual clock, and a connection turning into a stream.

#include "server/http_edge.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "../support/loopback_client.hpp"
#include "server/listener.hpp"
#include "sse/util/clock.hpp"

namespace {

using namespace std::chrono_literals;
using sse::HttpEdge;
using sse::HttpRequest;
using sse::Reply;
using sse::test::Client;

// A gate the handler waits at until the test opens it.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Blocks until `count` handlers are waiting (bounded by kPatience).
  bool await_waiting(int count) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, sse::test::kPatience, [&] { return waiting_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

Reply plain_reply(const HttpRequest& request, int status, const std::string& body) {
  sse::http::Response response;
  response.status = status;
  response.body = body;
  sse::http::Framing framing;
  framing.keep_alive = request.head->keep_alive;
  framing.head_only = request.head->method == "HEAD";
  Reply reply;
  reply.bytes = sse::http::serialize(response, framing);
  reply.keep_alive = framing.keep_alive;
  reply.status = status;
  return reply;
}

using SyncHandler = std::function<Reply(HttpRequest)>;

struct EdgeHarness {
  // `on_loop`: every request is handled on the loop (the Placement says
  // yes), else on the pool.
  explicit EdgeHarness(SyncHandler handler, size_t threads = 2, size_t queue = 16,
                       sse::EdgeOptions options = {}, bool on_loop = false)
      : clock(1'700'000'000'000) {
    auto made = sse::WriterLoop::create({}, clock, metrics, [](sse::StreamId, sse::CloseReason) {});
    REQUIRE(made);
    loop = std::move(*made);
    auto made_pool = sse::HandlerPool::create(threads, queue);
    REQUIRE(made_pool);
    pool = std::move(*made_pool);
    auto listener = sse::listen_on("127.0.0.1", 0, 128);
    REQUIRE(listener);
    port = sse::bound_port(listener->get());
    HttpEdge::Placement placement;
    if (on_loop) placement = [](const sse::http::RequestHead&, size_t) { return true; };
    edge = std::make_unique<HttpEdge>(
        options, std::move(*listener), std::vector<sse::WriterLoop*>{loop.get()}, *pool,
        [handler = std::move(handler)](HttpRequest request, sse::Responder respond) {
          respond(handler(std::move(request)));
        },
        std::move(placement), metrics, logger);
  }
  ~EdgeHarness() {
    edge->stop_accepting();
    loop->drain_and_stop("", clock.steady_ms());
    pool->stop();
  }

  // Returns once the loop has finished what it was doing (a task posted now
  // runs after it).
  void sync() {
    std::promise<void> done;
    REQUIRE(loop->post_task([&done] { done.set_value(); }));
    done.get_future().wait();
  }

  // A client: its socket to write with, and a reader of what comes back.
  struct Peer {
    Poco::Net::StreamSocket socket;
    Client reader;
    const std::string& received() const { return reader.received(); }
  };
  Peer connect() const {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
    return Peer{socket, Client(socket)};
  }

  sse::ManualClock clock;
  sse::Metrics metrics;
  sse::Logger logger{sse::LogLevel::kError, false};
  std::unique_ptr<sse::WriterLoop> loop;
  std::unique_ptr<sse::HandlerPool> pool;
  std::unique_ptr<HttpEdge> edge;
  int port = 0;
};

void send(EdgeHarness::Peer& peer, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const int n = peer.socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
}

// Waits (bounded) until `done()`.
template <typename Done>
bool eventually(Done done) {
  const auto until = std::chrono::steady_clock::now() + sse::test::kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Echoes the target, so that the order of answers shows.
Reply echo(HttpRequest request) { return plain_reply(request, 200, request.head->target); }

}  // namespace

TEST_CASE("edge: pipelined requests are answered in order on one connection", "[edge][http]") {
  EdgeHarness h(echo);
  auto client = h.connect();
  send(client, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n");
  REQUIRE(client.reader.read_until_contains("HTTP/1.1 200 OK", 3));
  const std::string& got = client.received();
  const size_t a = got.find("\r\n\r\n/a");
  const size_t b = got.find("\r\n\r\n/b");
  const size_t c = got.find("\r\n\r\n/c");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  REQUIRE(c != std::string::npos);
  CHECK(a < b);
  CHECK(b < c);
  CHECK_FALSE(client.reader.eof());  // kept alive
}

TEST_CASE("edge: a request with Connection close is answered, then the connection ends",
          "[edge][http]") {
  EdgeHarness h(echo);
  auto client = h.connect();
  send(client, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  REQUIRE(client.reader.read_to_eof());
  CHECK(Client::count_of(client.received(), "HTTP/1.1 ") == 1);
  CHECK(client.received().find("Connection: close") != std::string::npos);
}

TEST_CASE("edge: with every handler busy and the queue full the next request gets 503",
          "[edge][http]") {
  Gate gate;
  EdgeHarness h(
      [&gate](HttpRequest request) {
        gate.wait();
        return plain_reply(request, 200, "done");
      },
      /*threads=*/1, /*queue=*/1);
  auto running = h.connect();
  send(running, "GET /1 HTTP/1.1\r\n\r\n");
  REQUIRE(gate.await_waiting(1));  // the one handler thread is busy
  auto queued = h.connect();
  send(queued, "GET /2 HTTP/1.1\r\n\r\n");
  auto refused = h.connect();
  // The queue's one place may not be taken yet: retry until it is, then the
  // next request is refused. (Its answer is the decided outcome: a 503.)
  send(refused, "GET /3 HTTP/1.1\r\n\r\n");
  REQUIRE(refused.reader.read_until_contains("\r\n\r\n{"));
  CHECK(refused.received().rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
  CHECK(refused.received().find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(refused.received().find(R"({"error":{"code":"unavailable")") != std::string::npos);
  gate.open();
  REQUIRE(running.reader.read_until_contains("done"));
  REQUIRE(queued.reader.read_until_contains("done"));
  CHECK(h.metrics.rejections[static_cast<size_t>(sse::Rejection::kBusy)].load() == 1);
}

TEST_CASE("edge: an unfinished head gets 408 at its deadline, a silent socket is closed",
          "[edge][http]") {
  sse::EdgeOptions options;
  options.request_timeout = 1000ms;
  EdgeHarness h(echo, 2, 16, options);
  auto partial = h.connect();
  auto silent = h.connect();
  send(partial, "GET /slow HTTP/1.1\r\nHost: x");
  // Until the loop has both: a connection it has not accepted has no deadline.
  REQUIRE(eventually([&] { return h.edge->open_connections() == 2; }));
  h.sync();  // the bytes sent before it are read: the head has begun
  h.clock.advance_ms(999);
  std::this_thread::sleep_for(50ms);
  CHECK(partial.reader.read_available().empty());  // not yet
  h.clock.advance_ms(1);
  REQUIRE(partial.reader.read_to_eof());
  CHECK(partial.received().rfind("HTTP/1.1 408 Request Timeout\r\n", 0) == 0);
  REQUIRE(silent.reader.read_to_eof());
  CHECK(silent.received().empty());
}

TEST_CASE("edge: a kept-alive connection idle past keepalive_timeout is closed", "[edge][http]") {
  sse::EdgeOptions options;
  options.keepalive_timeout = 5000ms;
  EdgeHarness h(echo, 2, 16, options);
  auto client = h.connect();
  send(client, "GET /a HTTP/1.1\r\n\r\n");
  REQUIRE(client.reader.read_until_contains("/a"));
  h.sync();  // the idle time runs from the end of the answer, as the loop saw it
  h.clock.advance_ms(4000);
  send(client, "GET /b HTTP/1.1\r\n\r\n");  // in time: served, and the idle time starts again
  REQUIRE(client.reader.read_until_contains("/b"));
  h.sync();
  h.clock.advance_ms(2000);  // 6 s after /a, 2 s after /b: still open
  h.sync();
  CHECK_FALSE(client.reader.eof());
  client.reader.read_available();
  CHECK_FALSE(client.reader.eof());
  h.clock.advance_ms(3000);
  REQUIRE(client.reader.read_to_eof());
  CHECK(Client::count_of(client.received(), "HTTP/1.1 200") == 2);
}

TEST_CASE("edge: a framing error is a JSON 400 and the smuggled request never runs",
          "[edge][http]") {
  std::atomic<int> served{0};
  EdgeHarness h([&](HttpRequest request) {
    ++served;
    return echo(std::move(request));
  });
  auto client = h.connect();
  send(client,
       "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 30\r\n\r\n"
       "helloGET /admin HTTP/1.1\r\n\r\n");
  REQUIRE(client.reader.read_to_eof());
  CHECK(client.received().rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(client.received().find(R"({"error":{"code":"bad_request")") != std::string::npos);
  CHECK(Client::count_of(client.received(), "HTTP/1.1 ") == 1);
  CHECK(served.load() == 0);
}

TEST_CASE("edge: HEAD gets the head of the answer without its body", "[edge][http]") {
  EdgeHarness h(echo);
  auto client = h.connect();
  send(client, "HEAD /abc HTTP/1.1\r\n\r\nGET /xyz HTTP/1.1\r\n\r\n");
  REQUIRE(client.reader.read_until_contains("/xyz"));
  const std::string& got = client.received();
  CHECK(got.find("Content-Length: 4\r\n") != std::string::npos);
  CHECK(got.find("/abc") == std::string::npos);
  CHECK(got.find("\r\n\r\nHTTP/1.1 200 OK") != std::string::npos);  // the next answer follows
}

TEST_CASE("edge: handlers placed on the loop answer pipelined requests in order too",
          "[edge][http]") {
  EdgeHarness h(echo, 1, 1, {}, /*on_loop=*/true);
  auto client = h.connect();
  std::string requests;
  for (int i = 0; i < 50; ++i) requests += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  send(client, requests);
  REQUIRE(client.reader.read_until_contains("\r\n\r\n/49"));
  size_t at = 0;
  for (int i = 0; i < 50; ++i) {
    const size_t next = client.received().find("\r\n\r\n/" + std::to_string(i), at);
    REQUIRE(next != std::string::npos);
    at = next + 1;
  }
}
