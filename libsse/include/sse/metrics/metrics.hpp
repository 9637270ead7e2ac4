#pragma once

// Process-wide counters, rendered in the Prometheus text format (0.0.4).
// Every counter is a relaxed atomic: incremented from any thread, read by
// /metrics without stopping anyone.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "sse/event/event.hpp"

namespace sse {

// Why a request or stream was refused; a label of sse_rejections_total.
enum class Rejection : uint8_t {
  kUnauthorized,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kBadRequest,
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kRateLimited,
  kStreamLimitTotal,
  kStreamLimitUser,
  kInternal,
};
inline constexpr size_t kRejectionCount = 11;
std::string_view rejection_label(Rejection rejection);

// Why the server closed a stream; a label of sse_streams_closed_total.
enum class CloseReason : uint8_t {
  kClientGone,
  kSlowClient,
  kIdleTimeout,
  kTokenExpired,
  kKicked,
  kShutdown,
  kWriteError,   // the socket failed for another reason than the client leaving
  kServerError,  // the server could not go on (the log could not be read)
};
inline constexpr size_t kCloseReasonCount = 8;
std::string_view close_reason_label(CloseReason reason);

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
  double uptime_seconds = 0;
};

std::string render_prometheus(const Metrics& metrics, const Gauges& gauges);

}  // namespace sse
