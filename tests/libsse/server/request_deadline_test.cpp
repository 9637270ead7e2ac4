#include "server/request_deadline.hpp"

#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>

using namespace sse;
using namespace std::chrono_literals;

namespace {

struct TcpPair {
  TcpPair() : listener(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    client.connect(listener.address());
    server = listener.acceptConnection();
  }
  Poco::Net::ServerSocket listener;
  Poco::Net::StreamSocket client;
  Poco::Net::StreamSocket server;
};

}  // namespace

TEST_CASE("request deadlines: an armed socket is shut down when its time is up", "[deadline]") {
  RequestDeadlines deadlines(100ms);
  TcpPair pair;
  deadlines.arm(pair.server);
  char byte;
  pair.client.setReceiveTimeout(Poco::Timespan(30, 0));
  CHECK(pair.client.receiveBytes(&byte, 1) == 0);  // EOF: the server side was shut down
}

TEST_CASE("request deadlines: disarming while the watchdog waits is safe", "[deadline]") {
  RequestDeadlines deadlines(50ms);
  TcpPair pair;
  // The watchdog sleeps on the oldest entry's deadline while it is erased,
  // over and over (a use-after-free under ASan before the fix).
  for (int i = 0; i < 200; ++i) {
    const uint64_t handle = deadlines.arm(pair.server);
    std::this_thread::sleep_for(100us);
    deadlines.disarm(handle);
  }
  // A socket armed after all of them is due after all of them, and the
  // watchdog takes deadlines in order: once it has shut this one down, it
  // has passed every deadline that was disarmed.
  TcpPair later;
  deadlines.arm(later.server);
  char byte;
  later.client.setReceiveTimeout(Poco::Timespan(30, 0));
  REQUIRE(later.client.receiveBytes(&byte, 1) == 0);
  // The disarmed socket is still open both ways.
  REQUIRE(pair.server.sendBytes("x", 1) == 1);
  pair.client.setReceiveTimeout(Poco::Timespan(30, 0));
  CHECK(pair.client.receiveBytes(&byte, 1) == 1);
  CHECK(byte == 'x');
  REQUIRE(pair.client.sendBytes("y", 1) == 1);
  pair.server.setReceiveTimeout(Poco::Timespan(30, 0));
  CHECK(pair.server.receiveBytes(&byte, 1) == 1);
  CHECK(byte == 'y');
}
