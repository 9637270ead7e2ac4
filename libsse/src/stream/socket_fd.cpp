#include "sse/stream/socket_fd.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/SocketImpl.h>

namespace sse {
namespace {

// Poco 1.11 has no public way to hand a descriptor over: SocketImpl::reset
// (protected) sets the descriptor without closing the old one. Named through
// a derived class, a pointer to it may be formed ([class.protected]).
struct DescriptorThief : Poco::Net::SocketImpl {
  static void forget(Poco::Net::SocketImpl& impl) {
    (impl.*&DescriptorThief::reset)(POCO_INVALID_SOCKET);
  }
};

}  // namespace

SocketFd SocketFd::take(Poco::Net::StreamSocket& socket) {
  Poco::Net::SocketImpl* impl = socket.impl();
  if (impl == nullptr || !impl->initialized()) return SocketFd();
  SocketFd taken(impl->sockfd());
  DescriptorThief::forget(*impl);
  return taken;
}

void SocketFd::shutdown_and_close() {
  if (fd_ >= 0) (void)::shutdown(fd_, SHUT_RDWR);
  reset();
}

void SocketFd::reset() {
  if (fd_ < 0) return;
  (void)::close(std::exchange(fd_, -1));
}

}  // namespace sse
