#include "sse/server/server.hpp"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <Poco/Net/IPAddress.h>
#include <fmt/format.h>

#include "server/connections_view.hpp"
#include "server/handler_pool.hpp"
#include "server/http_edge.hpp"
#include "server/listener.hpp"
#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/api/contract.hpp"
#include "sse/event/payloads.hpp"
#include "sse/log/memory_log.hpp"
#include "sse/log/redis_log.hpp"
#include "sse/log/sqlite_log.hpp"
#include "sse/server/system_status.hpp"

namespace sse {
namespace {

// A key file's contents; a missing, unreadable, non-regular or empty file is
// an error naming `key`.
Result<std::string> read_file(const std::string& path, std::string_view key) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error::io_error(fmt::format("{}: '{}' is not a readable file", key, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io_error(fmt::format("{}: cannot read '{}'", key, path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// A secret kept in a file (one line; trailing line ends are not part of it):
// an error naming `key` when the file cannot be read or holds nothing.
Result<std::string> read_secret_file(const std::string& path, std::string_view key) {
  auto secret = read_file(path, key);
  if (!secret) return secret.error();
  std::string text = std::move(*secret);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return Error::invalid_argument(fmt::format("{}: the file is empty", key));
  return text;
}

Result<AuthOptions> auth_options_from(const AuthConfig& auth) {
  AuthOptions settings;
  settings.demo_tokens = auth.demo_tokens;
  settings.jwt.hs256_secret = auth.jwt_secret;
  if (!auth.jwt_secret_file.empty()) {
    auto secret = read_secret_file(auth.jwt_secret_file, "auth.jwt_secret_file");
    if (!secret) return secret.error();
    settings.jwt.hs256_secret = std::move(*secret);
  }
  if (!auth.jwt_public_key_file.empty()) {
    auto key = read_file(auth.jwt_public_key_file, "auth.jwt_public_key_file");
    if (!key) return key.error();
    if (key->empty()) return Error::invalid_argument("auth.jwt_public_key_file: the file is empty");
    settings.jwt.rs256_public_pem = std::move(*key);
  }
  return settings;
}

// The [redis] section: redis.url, with the password of redis.password_file
// if that is set.
Result<RedisTarget> redis_target(const RedisConfig& redis) {
  auto endpoint = parse_redis_url(redis.url);
  if (!endpoint) return endpoint.error().with_context("redis.url");
  if (!redis.password_file.empty()) {
    auto password = read_secret_file(redis.password_file, "redis.password_file");
    if (!password) return password.error();
    endpoint->password = std::move(*password);
  }
  RedisTarget target;
  target.endpoint = std::move(*endpoint);
  target.label = redacted_redis_url(redis.url);
  target.key_prefix = redis.key_prefix;
  return target;
}

// `redis`: the [redis] section, read, when history.backend is "redis".
Result<std::unique_ptr<EventLog>> open_event_log(const HistoryConfig& history,
                                                 const std::optional<RedisTarget>& redis,
                                                 const Clock& clock, Logger& logger) {
  RetentionPolicy retention;
  retention.max_events = static_cast<size_t>(history.max_events);
  retention.max_age_ms = history.max_age.count();
  if (history.backend == "memory") {
    return std::unique_ptr<EventLog>(std::make_unique<MemoryEventLog>(retention, clock));
  }
  if (redis) {
    RedisLogOptions options;
    options.redis = *redis;
    options.retention = retention;
    auto log = RedisEventLog::open(std::move(options), clock, logger);
    if (!log) return log.error();
    return std::unique_ptr<EventLog>(std::move(*log));
  }
  SqliteLogOptions options;
  options.path = history.path;
  options.sync = history.sync == "normal" ? SqliteSync::kNormal : SqliteSync::kFull;
  options.retention = retention;
  auto log = SqliteEventLog::open(std::move(options), clock);
  if (!log) return log.error();
  return std::unique_ptr<EventLog>(std::move(*log));
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(host, address)) return false;
  return address.isLoopback();
}

struct Server::Impl {
  Impl(Config config, AuthOptions auth, const Clock& clock, Logger& logger)
      : ctx(std::move(config), std::move(auth), clock, logger), routes(build_route_table()) {}

  void status_loop();
  // The route's handler (on a loop or a handler thread: see runs_on_loop).
  void serve(HttpRequest request, Responder respond) {
    auto exchange = Exchange::make(std::move(request), ctx, std::move(respond));
    dispatch(routes, *exchange);
  }

  ServerContext ctx;
  RouteTable routes;
  std::unique_ptr<HandlerPool> pool;
  std::unique_ptr<HttpEdge> edge;  // declared after ctx: goes first
  int port = 0;

  std::thread status_thread;
  std::mutex status_mu;
  std::condition_variable status_cv;
  bool stopping = false;
  bool stopped = false;
};

void Server::Impl::status_loop() {
  const auto interval = ctx.config.limits.status_interval;
  std::unique_lock lock(status_mu);
  while (!status_cv.wait_for(lock, interval, [this] { return stopping; })) {
    lock.unlock();
    EventDraft draft;
    draft.channel = Channel::kStatus;
    draft.type = std::string(api::event::kStatus);
    // Rendered here, not in render_data: that runs inside the log's append,
    // and the snapshot reads the hub and the log.
    draft.render_data = [snapshot = status_snapshot_json(ctx, ctx.cpu, ctx.clock.now_ms())](
                            EventId, int64_t) { return snapshot; };
    // Not waited for: with a shared log the answer waits for the feed, which
    // may be away, and shutdown joins this thread before it stops the feed.
    (void)ctx.hub->publish_async(draft, nullptr);
    lock.lock();
  }
}

namespace {

Result<std::unique_ptr<Cluster>> join_cluster(const Config& config, const RedisTarget& redis,
                                              const Clock& clock, Logger& logger) {
  ClusterOptions options;
  options.redis = redis;
  options.node_ttl_ms = config.redis.node_ttl.count();
  options.max_streams_per_user = static_cast<size_t>(config.limits.max_connections_per_user);
  options.publish_rate = config.limits.publish_rate;
  options.publish_burst = config.limits.publish_burst;
  return Cluster::join(std::move(options), clock, logger);
}

// What this node tells the cluster at each refresh.
NodeReport node_report(const ServerContext& ctx) {
  NodeReport report;
  // The limiter's count, not the open streams': it takes a place before the
  // cluster's admission, which a stream registers only after.
  report.streams_per_user = ctx.limiter->per_user();
  report.connections_json = connections_json(ctx.hub->streams(), ctx.cluster->node());
  return report;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(Config config, Logger& logger, const Clock& clock) {
  if (config.auth.demo_tokens && !config.auth.demo_tokens_explicit &&
      !is_loopback_host(config.server.host)) {
    return Error::invalid_argument(fmt::format(
        "auth.demo_tokens: demo tokens are unsigned and anyone can forge one; refusing to accept "
        "them on the non-loopback address {} unless the config sets auth.demo_tokens = true "
        "explicitly (or false, with a JWT key)",
        config.server.host));
  }
  auto auth = auth_options_from(config.auth);
  if (!auth) return auth.error();
  auto impl = std::make_unique<Impl>(std::move(config), std::move(*auth), clock, logger);
  ServerContext& ctx = impl->ctx;
  if (const Status& key = ctx.auth.key_status(); !key) {
    return key.error().with_context("auth.jwt_public_key_file");
  }
  std::optional<RedisTarget> redis;
  if (ctx.config.history.backend == "redis") {
    auto target = redis_target(ctx.config.redis);
    if (!target) return target.error();
    redis = std::move(*target);
  }
  auto log = open_event_log(ctx.config.history, redis, clock, logger);
  if (!log) return log.error();
  ctx.log = std::move(*log);
  if (redis) {
    auto cluster = join_cluster(ctx.config, *redis, clock, logger);
    if (!cluster) return cluster.error();
    ctx.cluster = std::move(*cluster);
  }

  HubOptions hub;
  hub.writer_threads = ctx.config.server.writer_threads > 0
                           ? static_cast<size_t>(ctx.config.server.writer_threads)
                           : std::max(1u, std::thread::hardware_concurrency());
  hub.writer.heartbeat_interval_ms = ctx.config.limits.heartbeat_interval.count();
  hub.writer.idle_timeout_ms = ctx.config.limits.idle_timeout.count();
  hub.writer.max_queued = static_cast<size_t>(ctx.config.limits.max_queued_events);
  hub.writer.max_queued_bytes = static_cast<size_t>(ctx.config.limits.max_queued_bytes);
  hub.max_queued_bytes_total = static_cast<uint64_t>(ctx.config.limits.max_queued_bytes_total);
  if (ctx.cluster) {
    hub.first_stream_id = ctx.cluster->first_stream_id();
    hub.on_streams_changed = [cluster = ctx.cluster.get()] { cluster->changed(); };
  }
  auto started = Hub::create(hub, *ctx.log, ctx.metrics, clock);
  if (!started) return started.error().with_context("server: cannot start the hub");
  ctx.hub = std::move(*started);
  if (ctx.cluster) {
    ctx.cluster->serve([&ctx] { return node_report(ctx); },
                       [&ctx](StreamId id) { return ctx.hub->kick(id); });
    logger.info(fmt::format("joined the cluster as node {}", ctx.cluster->node()),
                {{"redis", redacted_redis_url(ctx.config.redis.url)}});
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

Status Server::start() {
  ServerContext& ctx = impl_->ctx;
  const ServerConfig& cfg = ctx.config.server;
  // The backlog holds a reconnect storm while the loops accept it (the
  // kernel caps it at net.core.somaxconn).
  auto listener = listen_on(cfg.host, cfg.port, 65535);
  if (!listener) return listener.error();
  impl_->port = bound_port(listener->get());
  auto pool = HandlerPool::create(static_cast<size_t>(cfg.threads),
                                  static_cast<size_t>(cfg.max_queued_requests));
  if (!pool) return pool.error();
  impl_->pool = std::move(*pool);
  EdgeOptions edge;
  edge.request_timeout = cfg.request_timeout;
  edge.body_timeout = cfg.body_timeout;
  edge.keepalive_timeout = cfg.keepalive_timeout;
  edge.limits.max_head_bytes = static_cast<size_t>(cfg.max_head_bytes);
  edge.limits.max_target_bytes = static_cast<size_t>(cfg.max_url_bytes);
  edge.limits.max_fields = static_cast<size_t>(cfg.max_header_fields);
  edge.limits.max_body_bytes = static_cast<uint64_t>(ctx.config.limits.max_body_bytes);
  edge.max_connections = static_cast<size_t>(cfg.max_http_connections);
  impl_->edge = std::make_unique<HttpEdge>(
      edge, std::move(*listener), ctx.hub->loops(), *impl_->pool,
      [impl = impl_.get()](HttpRequest request, Responder respond) {
        impl->serve(std::move(request), std::move(respond));
      },
      // In a cluster publishes and stream opens wait for Redis (the rate
      // limit, the per-user count): everything but the probes, which must
      // answer while Redis hangs, goes to the pool.
      [impl = impl_.get()](const http::RequestHead& head, size_t body_bytes) {
        if (!runs_on_loop(impl->routes, head, body_bytes)) return false;
        return !impl->ctx.cluster || is_probe(head);
      },
      ctx.metrics, ctx.logger);
  ctx.ready = true;
  impl_->status_thread = std::thread([this] { impl_->status_loop(); });
  if (ctx.config.auth.demo_tokens) {
    ctx.logger.warn(
        "demo tokens are on: anyone can forge one; turn auth.demo_tokens off in production");
  }
  ctx.logger.info(fmt::format("listening on {}", url()));
  return {};
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  const std::string& host = impl_->ctx.config.server.host;
  // RFC 3986 3.2.2: an IPv6 literal goes in brackets.
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", ipv6 ? "[" : "", host, ipv6 ? "]" : "", impl_->port);
}

void Server::shutdown(std::chrono::milliseconds grace) {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  ServerContext& ctx = impl_->ctx;
  ctx.ready = false;
  // Stop accepting and free the port; idle connections close, requests in
  // progress are answered (and their connections closed after).
  if (impl_->edge) impl_->edge->stop_accepting();
  {
    std::lock_guard lock(impl_->status_mu);
    impl_->stopping = true;
  }
  impl_->status_cv.notify_all();
  if (impl_->status_thread.joinable()) impl_->status_thread.join();
  // The farewell on every stream; the loops end when every connection is
  // closed, or at the deadline whatever the clients are doing.
  ctx.hub->shutdown(farewell_frame(ctx.clock.now_ms()), ctx.clock.steady_ms() + grace.count());
  if (impl_->pool) impl_->pool->stop();
}

}  // namespace sse
