#pragma once

// While a NoFreeDescriptors lives, this process can open no file descriptor:
// the soft RLIMIT_NOFILE is lowered to the lowest free descriptor number, and
// every descriptor below it is in use. For tests of what happens when
// epoll_create1 or eventfd fail with EMFILE.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace sse::test {

// UBSan checks a dynamic type through a pipe (sanitizer_common's
// IsAccessibleMemoryRange), which fails with no descriptor free and is then
// reported as an invalid vptr. The tests that exhaust descriptors run in the
// normal build and are passed over in the UBSan one.
#ifdef SSE_UBSAN
inline constexpr bool kCanExhaustDescriptors = false;
#else
inline constexpr bool kCanExhaustDescriptors = true;
#endif

class NoFreeDescriptors {
 public:
  NoFreeDescriptors() {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest_free < 0) return;
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    active_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~NoFreeDescriptors() {
    if (active_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  NoFreeDescriptors(const NoFreeDescriptors&) = delete;
  NoFreeDescriptors& operator=(const NoFreeDescriptors&) = delete;

  // False when the limit could not be lowered (the test cannot run).
  bool active() const { return active_; }

 private:
  rlimit saved_{};
  bool active_ = false;
};

}  // namespace sse::test
