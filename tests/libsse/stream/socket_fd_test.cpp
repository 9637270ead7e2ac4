// SocketFd (sse/stream/socket_fd.hpp): a descriptor taken from a Poco socket
// is this one's alone: Poco neither closes nor uses it again, and it closes
// exactly when its owner goes.

#include "sse/stream/socket_fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <string>

#include "writer_loop_harness.hpp"

using namespace sse::test;
using sse::SocketFd;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

void send_all(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

}  // namespace

TEST_CASE("socket fd: taking the descriptor leaves every Poco copy without it", "[socket_fd]") {
  auto [client_socket, server_socket] = tcp_pair();
  Poco::Net::StreamSocket poco_copy = server_socket;  // as the HTTP connection keeps one
  const int fd = server_socket.impl()->sockfd();

  SocketFd taken = SocketFd::take(server_socket);
  CHECK(taken.get() == fd);
  CHECK(taken.valid());
  CHECK_FALSE(server_socket.impl()->initialized());
  CHECK_FALSE(poco_copy.impl()->initialized());

  // The last Poco reference goes: the descriptor stays open, and works.
  server_socket = Poco::Net::StreamSocket();
  poco_copy = Poco::Net::StreamSocket();
  CHECK(is_open(fd));
  Client client(client_socket);
  send_all(taken.get(), "data: still here\n\n");
  REQUIRE(client.read_until_contains("still here"));

  // Its owner closes it, once.
  taken.shutdown_and_close();
  CHECK_FALSE(taken.valid());
  CHECK(client.read_to_eof());
  taken.shutdown_and_close();  // idempotent
  taken.reset();
}

TEST_CASE("socket fd: an uninitialized socket gives an invalid descriptor", "[socket_fd]") {
  Poco::Net::StreamSocket never_connected;
  SocketFd taken = SocketFd::take(never_connected);
  CHECK_FALSE(taken.valid());
  CHECK(taken.get() == -1);
}

TEST_CASE("socket fd: moving hands ownership over, and the last owner closes", "[socket_fd]") {
  auto [client_socket, server_socket] = tcp_pair();
  SocketFd first = SocketFd::take(server_socket);
  const int fd = first.get();
  Client client(client_socket);
  {
    SocketFd second = std::move(first);
    CHECK_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
    CHECK(second.get() == fd);
    SocketFd third;
    third = std::move(second);
    CHECK(third.get() == fd);
    CHECK(is_open(fd));
  }  // `third` closes it; the moved-from ones do nothing
  CHECK(client.read_to_eof());
  CHECK(client.received().empty());
}
