#pragma once

// An epoll instance with an eventfd registered in it, so another thread can
// wake the loop that waits on it. The publisher and each subscriber loop own
// one. An epoll event tagged kWakeTag is the wake-up: call drain() and go on.
//
// open() once, before the loop's thread starts; wake() from any thread
// (a no-op before open()); the rest on the loop's thread.

#include <cstdint>

#include "sse/util/result.hpp"

namespace sse::bench {

class WakeableEpoll {
 public:
  static constexpr uint64_t kWakeTag = ~uint64_t{0};  // no connection's tag

  WakeableEpoll() = default;
  ~WakeableEpoll();
  WakeableEpoll(const WakeableEpoll&) = delete;
  WakeableEpoll& operator=(const WakeableEpoll&) = delete;

  // Creates the epoll instance and the eventfd; unavailable when either fails.
  Status open();
  int fd() const { return epoll_fd_; }
  void wake();
  void drain();

 private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
};

}  // namespace sse::bench
