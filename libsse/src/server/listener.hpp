#pragma once

// The server's listening socket, made with the system calls directly: the
// event loops accept on its descriptor without blocking.

#include <string>

#include "sse/stream/socket_fd.hpp"
#include "sse/util/result.hpp"

namespace sse {

// Binds `host` (a name or an address; IPv6 too) on `port` (0: a free one)
// with SO_REUSEADDR and no SO_REUSEPORT (a second server on the same port
// must fail, not share it), and listens with `backlog`. The socket is
// non-blocking. Fails (unavailable) with a message naming the address.
Result<SocketFd> listen_on(const std::string& host, int port, int backlog);

// The port a bound socket has (the one the kernel picked for port 0).
int bound_port(int fd);

// "127.0.0.1:53412", "[::1]:53412": a peer's address as logs show it.
std::string peer_address(int fd);

}  // namespace sse
