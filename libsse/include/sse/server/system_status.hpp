#pragma once

// The `status` snapshot: {status, uptime, connections, memory, cpu, timestamp}
// as published on the status stream and served by GET /system/status.

#include <mutex>
#include <string>

namespace sse {

struct ServerContext;

// Process CPU use between two samples, from /proc/self/stat. Thread-safe.
class CpuSampler {
 public:
  // Percent of one core used since the previous call (0 on the first).
  double sample_percent();

 private:
  std::mutex mu_;
  double last_cpu_seconds_ = -1;
  double last_wall_seconds_ = 0;
};

std::string status_snapshot_json(ServerContext& ctx, CpuSampler& cpu, int64_t now_ms);

}  // namespace sse
