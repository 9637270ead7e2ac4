#include "support/redis.hpp"

#include <signal.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/daemon.hpp"
#include "support/http.hpp"

namespace e2e {
namespace {

using Clock = std::chrono::steady_clock;

// Where the RESP reply that starts at `at` ends (one past its last byte), or
// std::string::npos while it is incomplete.
size_t reply_end(const std::string& reply, size_t at) {
  if (at >= reply.size()) return std::string::npos;
  const size_t line_end = reply.find("\r\n", at);
  if (line_end == std::string::npos) return std::string::npos;
  const char kind = reply[at];
  if (kind == '+' || kind == '-' || kind == ':') return line_end + 2;
  const long long n = std::atoll(reply.c_str() + at + 1);
  if (kind == '$') {
    if (n < 0) return line_end + 2;  // a null bulk string
    const size_t end = line_end + 2 + static_cast<size_t>(n) + 2;
    return end <= reply.size() ? end : std::string::npos;
  }
  if (kind == '*') {
    size_t next = line_end + 2;
    for (long long i = 0; i < n; ++i) {
      next = reply_end(reply, next);
      if (next == std::string::npos) return next;
    }
    return next;
  }
  return line_end + 2;  // not RESP2: give back the line as it came
}

}  // namespace

std::string redis_command(int port, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
  Socket socket(port);
  if (socket.closed()) return "";
  std::string request = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) {
    request += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  if (!socket.send_all(request)) return "";
  std::string reply;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline && !socket.closed()) {
    reply += socket.receive(std::chrono::milliseconds(20));
    const size_t end = reply_end(reply, 0);
    if (end != std::string::npos) return reply.substr(0, end);
  }
  return "";
}

RedisServer::RedisServer() {
  for (int attempt = 0;; ++attempt) {
    try {
      launch(free_loopback_port());
      return;
    } catch (const std::runtime_error&) {
      // Most likely the port was taken between the probe and the bind.
      if (attempt == 4) throw;
    }
  }
}

RedisServer::~RedisServer() = default;  // the Child kills it

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

std::string RedisServer::log() const { return file_text(dir() / "redis.log"); }

void RedisServer::launch(int port) {
  child_ =
      spawn_logged({kRedisServerBin, "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
                    dir().string(), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                    "--daemonize", "no", "--logfile", (dir() / "redis.log").string()},
                   dir() / "redis.out");
  const bool up = wait_until_ready(
      *child_,
      [port] { return redis_command(port, {"PING"}, std::chrono::seconds(1)) == "+PONG\r\n"; },
      std::chrono::seconds(10));
  if (!up) {
    child_.reset();  // kills it if it is still there
    throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port) +
                             ":\n" + file_text(dir() / "redis.out") + log());
  }
  port_ = port;
  running_ = true;
}

std::optional<int> RedisServer::stop(std::chrono::milliseconds timeout) {
  if (!running_) return std::nullopt;
  child_->signal(SIGTERM);
  auto code = child_->wait(timeout);
  if (!code) kill();
  running_ = false;
  return code;
}

void RedisServer::kill() {
  if (!running_) return;
  child_->signal(SIGKILL);
  child_->wait(std::chrono::seconds(10));
  running_ = false;
}

void RedisServer::start() {
  if (running_) return;
  // The port is ours: the old socket may still be closing for a moment.
  for (int attempt = 0;; ++attempt) {
    try {
      launch(port_);
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 4) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

}  // namespace e2e
