#include "sse-bench/wakeable_epoll.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sse::bench {

WakeableEpoll::~WakeableEpoll() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status WakeableEpoll::open() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return Error::unavailable(std::string("cannot create an epoll loop: ") + std::strerror(errno));
  }
  return {};
}

void WakeableEpoll::wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wake_fd_, &one, sizeof one);
}

void WakeableEpoll::drain() {
  uint64_t count;
  [[maybe_unused]] auto ignored = ::read(wake_fd_, &count, sizeof count);
}

}  // namespace sse::bench
