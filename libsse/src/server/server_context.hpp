#pragma once

// Everything the HTTP handlers share. Built once by Server; lives until the
// server object is destroyed. Members are thread-safe or immutable.
// Destruction order matters: `hub` (declared after `log`) goes first, and
// waits for appends in flight before the log it calls back from goes.

#include <atomic>
#include <memory>

#include "sse/auth/authenticator.hpp"
#include "sse/cluster/cluster.hpp"
#include "sse/config/config.hpp"
#include "sse/hub/hub.hpp"
#include "sse/hub/subscription.hpp"
#include "sse/limits/connection_limiter.hpp"
#include "sse/limits/rate_limiter.hpp"
#include "sse/log/event_log.hpp"
#include "sse/metrics/metrics.hpp"
#include "sse/server/system_status.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/logger.hpp"

namespace sse {

struct ServerContext {
  ServerContext(Config config, AuthOptions auth_options, const Clock& clock, Logger& logger);

  const Config config;
  const Clock& clock;
  Logger& logger;
  Metrics metrics;
  const Authenticator auth;
  const std::shared_ptr<const RoomPolicy> rooms;
  RateLimiter publish_rate;
  const std::shared_ptr<ConnectionLimiter> limiter;
  std::unique_ptr<EventLog> log;
  std::unique_ptr<Hub> hub;
  // With history.backend = "redis": this node's part in the cluster (null
  // otherwise). Declared after hub: it goes first, and its threads call
  // into the hub.
  std::unique_ptr<Cluster> cluster;
  const int64_t started_steady_ms;
  CpuSampler cpu;  // shared by status ticks and GET /system/status
  std::atomic<bool> ready{false};
};

}  // namespace sse
