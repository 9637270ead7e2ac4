#pragma once

// CLOCK_MONOTONIC in nanoseconds: the clock of stamps, schedules and
// latencies (the same on every thread; never steps).

#include <time.h>

#include <cstdint>

namespace sse::bench {

inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kNsPerSecond = 1'000'000'000;

}  // namespace sse::bench
