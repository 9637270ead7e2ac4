#pragma once

// sse-server as a library object: apps/sse-server/main.cpp parses flags, loads
// the config, creates a Server, starts it and waits for a signal.

#include <chrono>
#include <memory>
#include <string>

#include "sse/config/config.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/logger.hpp"
#include "sse/util/result.hpp"

namespace sse {

class Server {
 public:
  // Validates what the config alone cannot (key files, demo tokens on a public
  // address, the history backend) and builds every part. Listens on nothing yet.
  static Result<std::unique_ptr<Server>> create(Config config, Logger& logger,
                                                const Clock& clock = SystemClock::instance());
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds server.host:server.port (port 0 picks a free one) and serves.
  Status start();
  // The bound port, once started.
  int port() const;
  // "http://host:port" of the bound address ("http://[::1]:3000"), once started.
  std::string url() const;

  // Graceful end: stop accepting and close the listening socket, send
  // `maintenance` (reason "shutdown") on every stream, flush for at most
  // `grace`, close everything. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace sse
