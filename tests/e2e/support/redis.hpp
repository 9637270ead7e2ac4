#pragma once

// A private redis-server for an end-to-end test: the shared event log of an
// sse-server cluster (history.backend = "redis"). Debian's redis-server
// (scripts/install-deps installs it) on a free loopback port, its data in a
// TempDir of its own, append-only with an fsync per write, so that stopping
// or killing it and starting it again keeps every write it acknowledged.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace e2e {

inline const std::string kRedisServerBin = "/usr/bin/redis-server";

class RedisServer {
 public:
  // Starts redis-server with --save "" --appendonly yes --appendfsync always
  // --bind 127.0.0.1 --daemonize no, its log in dir()/redis.log, and waits
  // until it answers PING. Throws std::runtime_error with the log when it
  // does not within 10 s (or is not installed).
  RedisServer();
  ~RedisServer();  // SIGKILL if still running
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "redis://127.0.0.1:<port>"
  const std::filesystem::path& dir() const { return dir_.path(); }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  bool running() const { return running_; }
  std::string log() const;  // redis.log so far, for failure messages

  // SIGTERM, then waits for the exit: Redis syncs the append-only file and
  // exits 0. The exit code; nullopt when it is still running after `timeout`
  // (it is then killed). Does nothing and returns nullopt when not running.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL, then waits for the exit; with appendfsync always every write
  // that was answered is already on disk.
  void kill();
  // Starts it again (after stop() or kill()) on the same port and data
  // directory and waits until it answers PING, which Redis does only once it
  // has loaded the append-only file. Throws like the constructor.
  void start();

 private:
  void launch(int port);
  TempDir dir_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
  bool running_ = false;
};

// Sends one command to the Redis on 127.0.0.1:`port` (as a RESP array of bulk
// strings, so any byte may be in an argument) and returns its whole reply as
// Redis sent it: "+PONG\r\n", "$3\r\nabc\r\n", "$-1\r\n" for a missing key,
// ":5\r\n", "-ERR …\r\n", "*2\r\n$1\r\na\r\n$1\r\nb\r\n". "" when it cannot
// connect or no complete reply arrives within `timeout`.
std::string redis_command(int port, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace e2e
