// Where the edge puts the connections it accepts: two real writer loops, real
// loopback sockets, and a handler on the loops that answers with the index of
// the loop it ran on.

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/loopback_client.hpp"
#include "server/http_edge.hpp"
#include "server/listener.hpp"
#include "sse/util/clock.hpp"

namespace {

using sse::HttpEdge;
using sse::HttpRequest;
using sse::Reply;
using sse::test::Client;

struct TwoLoops {
  // `on_loop`: handlers run on the loops (the Placement says yes), else on
  // the pool, whose answers go back to the connection's loop.
  explicit TwoLoops(bool on_loop = true) : clock(1'700'000'000'000) {
    for (int i = 0; i < 2; ++i) {
      auto made =
          sse::WriterLoop::create({}, clock, metrics, [](sse::StreamId, sse::CloseReason) {});
      REQUIRE(made);
      loops.push_back(std::move(*made));
    }
    auto made_pool = sse::HandlerPool::create(1, 4);
    REQUIRE(made_pool);
    pool = std::move(*made_pool);
    auto listener = sse::listen_on("127.0.0.1", 0, 512);
    REQUIRE(listener);
    port = sse::bound_port(listener->get());
    edge = std::make_unique<HttpEdge>(
        sse::EdgeOptions{}, std::move(*listener),
        std::vector<sse::WriterLoop*>{loops[0].get(), loops[1].get()}, *pool,
        [this](HttpRequest request, sse::Responder respond) {
          respond(answer(request, loop_running_here()));
        },
        [on_loop](const sse::http::RequestHead&, size_t) { return on_loop; }, metrics, logger);
  }
  ~TwoLoops() {
    edge->stop_accepting();
    for (auto& loop : loops) loop->drain_and_stop("", clock.steady_ms());
    pool->stop();
  }

  // The loop the handler runs on ("p" on the pool).
  std::string loop_running_here() const {
    return loops[0]->on_loop_thread() ? "0" : loops[1]->on_loop_thread() ? "1" : "p";
  }

  // Waits (bounded) until the edge counts `count` open connections.
  bool open_becomes(size_t count) const {
    const auto until = std::chrono::steady_clock::now() + sse::test::kPatience;
    while (edge->open_connections() != count) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  static Reply answer(const HttpRequest& request, const std::string& body) {
    sse::http::Response response;
    response.status = 200;
    response.body = body;
    sse::http::Framing framing;
    framing.keep_alive = request.head->keep_alive;
    Reply reply;
    reply.bytes = sse::http::serialize(response, framing);
    reply.keep_alive = framing.keep_alive;
    reply.status = 200;
    return reply;
  }

  // Opens a kept-alive connection and asks which loop serves it.
  std::string open_and_ask(std::vector<Client>& open) {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
    const std::string request = "GET /which HTTP/1.1\r\nHost: x\r\n\r\n";
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    open.emplace_back(socket);
    return read_answer(open.back());
  }

  static std::string read_answer(Client& client) {
    REQUIRE(client.read_until([](const std::string& r) {
      const size_t head_end = r.find("\r\n\r\n");
      return head_end != std::string::npos && r.size() > head_end + 4;
    }));
    const std::string& r = client.received();
    return r.substr(r.find("\r\n\r\n") + 4, 1);
  }

  sse::ManualClock clock;
  sse::Metrics metrics;
  sse::Logger logger{sse::LogLevel::kError, false};
  std::vector<std::unique_ptr<sse::WriterLoop>> loops;
  std::unique_ptr<sse::HandlerPool> pool;
  std::unique_ptr<HttpEdge> edge;
  int port = 0;
};

}  // namespace

TEST_CASE("edge: connections opened one after another alternate between the loops",
          "[edge][http]") {
  TwoLoops edge;
  std::vector<Client> open;
  open.reserve(40);
  int on_first = 0, on_second = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string loop = edge.open_and_ask(open);
    REQUIRE((loop == "0" || loop == "1"));
    (loop == "0" ? on_first : on_second) += 1;
  }
  CHECK(on_first == 20);
  CHECK(on_second == 20);
  CHECK(edge.edge->open_connections() == 40);
  CHECK(edge.metrics.http_connections_open.load() == 40);
  open.clear();  // the clients close
  CHECK(edge.open_becomes(0));
  CHECK(edge.metrics.http_connections_open.load() == 0);
  CHECK(edge.metrics.http_connections_accepted.load() == 40);
}

TEST_CASE("edge: a request handled on the pool is answered on its connection whichever loop has it",
          "[edge][http]") {
  TwoLoops edge(false);
  const std::string request = "GET /which HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<Poco::Net::StreamSocket> sockets;  // the clients' ends, shared with `open`
  std::vector<Client> open;
  open.reserve(10);
  for (int i = 0; i < 10; ++i) {
    sockets.emplace_back(Poco::Net::SocketAddress("127.0.0.1", edge.port));
    open.emplace_back(sockets.back());
  }
  // Two requests on each connection, so that every loop answers more than once.
  for (int round = 1; round <= 2; ++round) {
    for (size_t i = 0; i < sockets.size(); ++i) {
      sockets[i].sendBytes(request.data(), static_cast<int>(request.size()));
      CHECK(open[i].read_until([round](const std::string& r) {
        return Client::count_of(r, "HTTP/1.1 200") == static_cast<size_t>(round) && r.back() == 'p';
      }));
    }
  }
  CHECK(edge.edge->open_connections() == 10);
  open.clear();
  sockets.clear();
  CHECK(edge.open_becomes(0));
}

TEST_CASE("edge: a burst of connects that one loop accepts is spread over both loops",
          "[edge][http]") {
  TwoLoops edge;
  constexpr int kBurst = 200;
  // Connects as fast as they go, with both loops accepting: whichever loop
  // accepts a connection, it goes to the one with less to do.
  std::vector<Poco::Net::StreamSocket> sockets;
  for (int i = 0; i < kBurst; ++i) {
    sockets.emplace_back(Poco::Net::SocketAddress("127.0.0.1", edge.port));
  }
  std::vector<Client> open;
  open.reserve(kBurst);
  const std::string request = "GET /which HTTP/1.1\r\nHost: x\r\n\r\n";
  for (auto& socket : sockets) {
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    open.emplace_back(socket);
  }
  int on_first = 0;
  for (Client& client : open) {
    if (TwoLoops::read_answer(client) == "0") ++on_first;
  }
  // Placed by load: each loop serves half the burst, give or take the
  // connections that the two loops placed at the same moment.
  CHECK(on_first >= kBurst / 2 - 10);
  CHECK(on_first <= kBurst / 2 + 10);
}
