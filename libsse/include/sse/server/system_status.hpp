#pragma once

// The `status` snapshot: {status, uptime, connections, memory, cpu,
// lastEventId, timestamp} as published on the status stream and served by
// GET /system/status.

#include <mutex>
#include <string>

namespace sse {

struct ServerContext;

// Process CPU use, from /proc/self/stat, over windows of at least a second.
// Thread-safe.
class CpuSampler {
 public:
  // Percent of one core used over the last window (0 before the first one).
  // Calls within a second of the window's start return the last figure.
  double sample_percent();

 private:
  std::mutex mu_;
  double last_cpu_seconds_ = -1;
  double last_wall_seconds_ = 0;
  double last_percent_ = 0;
};

// The snapshot's status field: "ok" while the server serves, "stopping"
// once it is shutting down. lastEventId: the newest event id routed to the
// streams (Hub::last_event_id), as a decimal string; "0" for an empty log. A
// status event's snapshot is taken before the event gets its own id.

std::string status_snapshot_json(ServerContext& ctx, CpuSampler& cpu, int64_t now_ms);

}  // namespace sse
