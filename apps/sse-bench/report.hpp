#pragma once

// The end-of-run report: every number sse-bench prints, as text for people
// or as one JSON object for scripts (the keys are listed in sse-bench(1) and
// are stable: other tools parse them).

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sse-bench/histogram.hpp"

namespace sse::bench {

// Milliseconds at the usual percentiles.
struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
// From a histogram of microseconds.
Percentiles percentiles_ms(const Histogram& us);

struct Report {
  // The main settings, echoed.
  std::string url;
  std::string publish_url;
  uint64_t connections = 0;
  uint32_t channels = 1;
  int threads = 1;
  double rate = 0;
  int publish_connections = 0;
  int source_addresses = 0;
  bool reconnect = false;

  // Subscribers.
  uint64_t started = 0;
  uint64_t established = 0;
  uint64_t refused = 0;
  uint64_t pending = 0;  // neither established nor refused when the run ended
  std::map<std::string, uint64_t> refused_by_status;
  std::string first_connect_error;
  Percentiles connect_ms;
  double connect_phase_s = 0;  // start of connecting until the last was settled
  uint64_t dropped = 0;
  uint64_t reconnects = 0;
  uint64_t reconnect_errors = 0;
  uint64_t protocol_errors = 0;

  // Publishing.
  uint64_t publish_sent = 0;
  uint64_t published = 0;
  uint64_t publish_errors = 0;
  std::map<std::string, uint64_t> publish_errors_by_status;
  uint64_t publish_behind = 0;
  uint64_t publish_connects = 0;
  bool publish_unreachable = false;  // no publish connection could be made
  double publish_per_s = 0;
  double publish_s = 0;
  Percentiles publish_latency_ms;

  // Deliveries.
  uint64_t expected = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  uint64_t duplicates = 0;
  uint64_t misrouted = 0;
  uint64_t stale = 0;
  uint64_t other_events = 0;
  uint64_t received_total = 0;
  double deliveries_per_s = 0;
  Percentiles latency_ms;

  double duration_s = 0;
  bool interrupted = false;

  // The server (all -1 when not measured).
  bool server_measured = false;
  double server_cpu_s = -1;
  double server_cpu_total_s = -1;
  int64_t server_rss_kb = -1;
  int64_t server_rss_kb_before = -1;
  int64_t server_rss_kb_idle = -1;
  int64_t server_rss_kb_after = -1;
  std::vector<pid_t> server_pids_gone;
};

// One JSON object on one line, with a final newline.
std::string report_json(const Report& report);
// Aligned lines for a terminal.
std::string report_text(const Report& report);

}  // namespace sse::bench
