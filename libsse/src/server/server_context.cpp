#include "server/server_context.hpp"

#include "sse/log/memory_log.hpp"

namespace sse {

ServerContext::ServerContext(Config cfg, AuthOptions auth_options, const Clock& clk, Logger& log_)
    : config(std::move(cfg)),
      clock(clk),
      logger(log_),
      auth(std::move(auth_options), clk),
      rooms(std::make_shared<RoomPolicy>(config.chat.private_rooms)),
      publish_rate(config.limits.publish_rate, config.limits.publish_burst, clk),
      limiter(
          ConnectionLimiter::create(static_cast<size_t>(config.limits.max_connections),
                                    static_cast<size_t>(config.limits.max_connections_per_user),
                                    static_cast<size_t>(config.limits.max_anonymous_connections))),
      started_steady_ms(clk.steady_ms()) {}

}  // namespace sse
