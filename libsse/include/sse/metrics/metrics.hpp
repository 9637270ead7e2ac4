#pragma once

// Process-wide counters, rendered in the Prometheus text format (0.0.4).
// Every counter is a relaxed atomic: incremented from any thread, read by
// /metrics without stopping anyone.

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "sse/event/event.hpp"
#include "sse/server/rejection.hpp"     // Rejection: the HTTP layer's
#include "sse/stream/close_reason.hpp"  // CloseReason: the writer loop's

namespace sse {

using Counter = std::atomic<uint64_t>;

struct Metrics {
  std::array<Counter, kChannelCount> events_published{};
  std::array<Counter, kChannelCount> streams_opened{};
  std::array<Counter, kCloseReasonCount> streams_closed{};
  std::array<Counter, kRejectionCount> rejections{};
  Counter events_delivered{0};  // event copies written to streams (heartbeats excluded)
  Counter bytes_sent{0};        // stream bytes written, heartbeats included
  Counter heartbeats_sent{0};
  Counter replays{0};             // streams opened with Last-Event-ID
  Counter replays_incomplete{0};  // ... whose id was no longer in the log
  Counter replayed_events{0};
  Counter http_requests{0};
  Counter http_connections_accepted{0};
  Counter http_connections_open{0};  // a gauge: HTTP connections not (yet) streams

  void count(Rejection r) { rejections[static_cast<size_t>(r)].fetch_add(1, relaxed); }
  void count(CloseReason r) { streams_closed[static_cast<size_t>(r)].fetch_add(1, relaxed); }

  static constexpr auto relaxed = std::memory_order_relaxed;
};

// Values that are read, not counted, at scrape time.
struct Gauges {
  std::array<uint64_t, kChannelCount> open_streams{};
  uint64_t log_events = 0;
  uint64_t log_head = 0;
  uint64_t queued_events = 0;
  uint64_t queued_bytes = 0;
  double uptime_seconds = 0;
  // Only with a shared log (history.backend = "redis").
  std::optional<bool> redis_connected;
  uint64_t redis_reconnects = 0;
};

std::string render_prometheus(const Metrics& metrics, const Gauges& gauges);

}  // namespace sse
