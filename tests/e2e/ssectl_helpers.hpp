#pragma once

// Shared helpers for the ssectl end-to-end tests: run the real ssectl binary
// with a clean environment (no user config, no SSECTL_* from the caller).

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

namespace e2e {

// The environment every ssectl run starts from; `extra` is laid over it.
inline std::map<std::string, std::string> ssectl_env(
    std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env = {{"XDG_CONFIG_HOME", "/nonexistent/ssectl-e2e"},
                                            {"SSECTL_SERVER", ""},
                                            {"SSECTL_TOKEN", ""},
                                            {"SSECTL_TOKEN_FILE", ""},
                                            {"SSECTL_OUTPUT", ""},
                                            {"SSECTL_TIMEOUT", ""},
                                            {"SSECTL_COLOR", ""},
                                            {"NO_COLOR", ""}};
  for (auto& [key, value] : extra) env[key] = value;
  return env;
}

inline CommandResult ssectl(const std::vector<std::string>& args, const std::string& input = "",
                            const std::map<std::string, std::string>& env = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::vector<std::string> argv = {ssectl_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input, ssectl_env(env), timeout);
}

// ssectl started in the background (tail); `args` follow the binary.
inline std::unique_ptr<Child> ssectl_child(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv = {ssectl_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Child>(argv, ssectl_env(env));
}

// The id of the first open stream on `channel`, from `ssectl connections list`.
inline std::string first_stream_id(const std::string& server_url, const std::string& channel) {
  auto list = ssectl({"-o", "json", "connections", "list", "--stream", channel, "--server",
                      server_url, "--token", kDemoToken});
  REQUIRE(list.exit_code == 0);
  const size_t open = list.out.find('[') + 1;
  return json_string(list.out.substr(open, list.out.find('}', open) - open + 1), "id");
}

// Server environment for these tests: status ticks off (they would add
// events to the log), unless a test turns them on. Use as
// ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_RETRY", "500ms"}}).
#define SSECTL_NO_STATUS_TICKS \
  { "SSE_LIMITS_STATUS_INTERVAL", "1h" }

// Reads a child's stderr until `needle` shows up (Child only waits on stdout).
inline bool wait_for_stderr(Child& child, const std::string& needle,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child.err().find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    (void)child.wait_for_output("\x01never\x01", std::chrono::milliseconds(50));
  }
  return true;
}

// A TCP port that accepts connections (the kernel completes them into the
// backlog) and never answers: a request to it times out after being sent.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), size) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      FAIL("cannot open a listening socket");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // How many connections were made to it so far (accepts what is queued).
  int connections() {
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    for (int client; (client = accept(fd_, nullptr, nullptr)) >= 0;) {
      accepted_.push_back(client);
    }
    return static_cast<int>(accepted_.size());
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
};

}  // namespace e2e
