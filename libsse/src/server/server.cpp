#include "sse/server/server.hpp"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>

#include "server/request_deadline.hpp"
#include "server/routes.hpp"
#include "server/server_context.hpp"
#include "sse/api/contract.hpp"
#include "sse/event/payloads.hpp"
#include "sse/log/memory_log.hpp"
#include "sse/log/sqlite_log.hpp"
#include "sse/server/system_status.hpp"

namespace sse {
namespace {

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RequestHandler(const RouteTable& routes, ServerContext& ctx) : routes_(routes), ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    GuardedConnection::head_received();
    Exchange exchange(request, response, ctx_);
    dispatch(routes_, exchange);
    GuardedConnection::request_done(exchange.streaming());
  }

 private:
  const RouteTable& routes_;
  ServerContext& ctx_;
};

class HandlerFactory final : public StoppableHandlerFactory {
 public:
  HandlerFactory(const RouteTable& routes, ServerContext& ctx) : routes_(routes), ctx_(ctx) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(routes_, ctx_);
  }

 private:
  const RouteTable& routes_;
  ServerContext& ctx_;
};

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

Result<AuthOptions> auth_options_from(const AuthConfig& auth) {
  AuthOptions settings;
  settings.demo_tokens = auth.demo_tokens;
  settings.jwt.hs256_secret = auth.jwt_secret;
  if (!auth.jwt_secret_file.empty()) {
    auto secret = read_file(auth.jwt_secret_file, "auth.jwt_secret_file");
    if (!secret) return secret.error();
    std::string text = std::move(*secret);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return Error::invalid_argument("auth.jwt_secret_file: the file is empty");
    settings.jwt.hs256_secret = std::move(text);
  }
  if (!auth.jwt_public_key_file.empty()) {
    auto key = read_file(auth.jwt_public_key_file, "auth.jwt_public_key_file");
    if (!key) return key.error();
    if (key->empty()) return Error::invalid_argument("auth.jwt_public_key_file: the file is empty");
    settings.jwt.rs256_public_pem = std::move(*key);
  }
  return settings;
}

Result<std::unique_ptr<EventLog>> open_event_log(const HistoryConfig& history, const Clock& clock) {
  RetentionPolicy retention;
  retention.max_events = static_cast<size_t>(history.max_events);
  retention.max_age_ms = history.max_age.count();
  if (history.backend == "memory") {
    return std::unique_ptr<EventLog>(std::make_unique<MemoryEventLog>(retention, clock));
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

  ServerContext ctx;
  RouteTable routes;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::ServerSocket> listener;
  std::unique_ptr<GuardedHttpServer> http;
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
    (void)ctx.hub->publish(draft);
    lock.lock();
  }
}

Result<std::unique_ptr<Server>> Server::create(Config config, Logger& logger, const Clock& clock) {
  if (config.history.backend == "redis") {
    return Error::invalid_argument(
        "history.backend: 'redis' is not available in this build (use \"sqlite\" or \"memory\")");
  }
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
  auto log = open_event_log(ctx.config.history, clock);
  if (!log) return log.error();
  ctx.log = std::move(*log);

  HubOptions hub;
  hub.writer_threads = ctx.config.server.writer_threads > 0
                           ? static_cast<size_t>(ctx.config.server.writer_threads)
                           : std::max(1u, std::thread::hardware_concurrency());
  hub.writer.heartbeat_interval_ms = ctx.config.limits.heartbeat_interval.count();
  hub.writer.idle_timeout_ms = ctx.config.limits.idle_timeout.count();
  hub.writer.max_queued = static_cast<size_t>(ctx.config.limits.max_queued_events);
  auto started = Hub::create(hub, *ctx.log, ctx.metrics, clock);
  if (!started) return started.error().with_context("server: cannot start the hub");
  ctx.hub = std::move(*started);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

Status Server::start() {
  ServerContext& ctx = impl_->ctx;
  const ServerConfig& cfg = ctx.config.server;
  try {
    Poco::Net::SocketAddress address(cfg.host, static_cast<Poco::UInt16>(cfg.port));
    // Not the (address, backlog) constructor: in Poco 1.11 it sets SO_REUSEPORT,
    // and a second server on the same port would then start and share it.
    impl_->listener = std::make_unique<Poco::Net::ServerSocket>();
    impl_->listener->bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
    impl_->listener->listen(4096);
  } catch (const Poco::Exception& e) {
    return Error::unavailable(
        fmt::format("server: cannot listen on {}:{}: {}", cfg.host, cfg.port, e.displayText()));
  }
  impl_->port = impl_->listener->address().port();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(cfg.threads);
  params->setMaxQueued(cfg.max_queued_requests);
  params->setTimeout(Poco::Timespan(cfg.request_timeout.count() * 1000));
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  // Poco's TCPServerDispatcher::stop() wakes only the workers already waiting;
  // one between requests then sleeps the whole idle time (10 s by default)
  // before it sees the stop, and joinAll() in shutdown() waits for it.
  params->setThreadIdleTime(Poco::Timespan(0, 200 * 1000));
  params->setServerName("sse-server");
  params->setSoftwareVersion("sse-server");
  impl_->pool = std::make_unique<Poco::ThreadPool>(2, cfg.threads + 2);
  impl_->http =
      std::make_unique<GuardedHttpServer>(new HandlerFactory(impl_->routes, ctx), *impl_->pool,
                                          *impl_->listener, params, cfg.request_timeout);
  impl_->http->start();
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
  if (impl_->http) {
    // Stop accepting, let requests in progress finish, close idle keep-alive
    // connections (stop() alone would keep serving them), free the port
    // (Poco 1.11 leaves it open).
    impl_->http->stopAll(false);
    impl_->listener->close();
  }
  {
    std::lock_guard lock(impl_->status_mu);
    impl_->stopping = true;
  }
  impl_->status_cv.notify_all();
  if (impl_->status_thread.joinable()) impl_->status_thread.join();
  ctx.hub->shutdown(farewell_frame(ctx.clock.now_ms()), ctx.clock.steady_ms() + grace.count());
  if (impl_->pool) impl_->pool->joinAll();
}

}  // namespace sse
