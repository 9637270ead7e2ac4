#include "server/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <fmt/format.h>

namespace sse {

Result<SocketFd> listen_on(const std::string& host, int port, int backlog) {
  const auto failed = [&](std::string_view why) {
    return Error::unavailable(fmt::format("server: cannot listen on {}:{}: {}", host, port, why));
  };
  Poco::Net::SocketAddress address;
  try {
    address = Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port));
  } catch (const Poco::Exception& e) {
    return failed(e.displayText());
  }
  SocketFd socket(::socket(address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return failed(std::strerror(errno));
  const int one = 1;
  if (::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(socket.get(), address.addr(), address.length()) != 0 ||
      ::listen(socket.get(), backlog) != 0) {
    return failed(std::strerror(errno));
  }
  return socket;
}

int bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, ntohs(in6->sin6_port));
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
  ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
  return fmt::format("{}:{}", text, ntohs(in4->sin_port));
}

}  // namespace sse
