#include "sse/server/system_status.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "server/server_context.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

double process_cpu_seconds() {
  // proc(5): fields 14 and 15 of /proc/self/stat are utime and stime in ticks.
  std::ifstream in("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = content.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(content.substr(paren + 2));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

double CpuSampler::sample_percent() {
  const double cpu = process_cpu_seconds();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::lock_guard lock(mu_);
  if (last_cpu_seconds_ >= 0 && wall - last_wall_seconds_ < 1.0) return last_percent_;
  if (last_cpu_seconds_ >= 0) {
    last_percent_ = 100.0 * (cpu - last_cpu_seconds_) / (wall - last_wall_seconds_);
  }
  last_cpu_seconds_ = cpu;
  last_wall_seconds_ = wall;
  return last_percent_;
}

std::string status_snapshot_json(ServerContext& ctx, CpuSampler& cpu, int64_t now_ms) {
  const double uptime = static_cast<double>(ctx.clock.steady_ms() - ctx.started_steady_ms) / 1000.0;
  const auto open = ctx.hub->open_streams();
  const std::string status = ctx.ready ? "ok" : "stopping";
  // A string, like every event id in the API (ids are 64-bit; JSON numbers
  // are not safe past 2^53 in JavaScript).
  const EventId last_event_id = ctx.hub->last_event_id();
  // In a cluster every node's snapshots reach every status stream: each says whose it is.
  const std::string node = ctx.cluster ? fmt::format(R"(,"node":{})", ctx.cluster->node()) : "";
  return fmt::format(
      R"({{"status":"{}","uptime":{:.3f},"connections":{{"total":{},"notifications":{},"realtime":{},"chat":{},"status":{}}},"memory":{{"rssBytes":{}}},"cpu":{{"percent":{:.1f}}},"lastEventId":"{}"{},"timestamp":"{}"}})",
      status, uptime, open[0] + open[1] + open[2] + open[3], open[0], open[1], open[2], open[3],
      resident_bytes(), cpu.sample_percent(), last_event_id, node, format_iso8601_ms(now_ms));
}

}  // namespace sse
