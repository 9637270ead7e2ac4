#pragma once

// Child processes for end-to-end tests: run a command to completion, or keep
// sse-server running on a free port for the length of a test.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` with the test's environment plus `env` (a value of "" unsets),
// feeding `input` to stdin; kills it after `timeout`.
CommandResult run(const std::vector<std::string>& argv, const std::string& input = "",
                  const std::map<std::string, std::string>& env = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A started child with pipes; for commands a test talks to while they run
// (ssectl tail).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~Child();  // SIGKILL if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until `needle` appears or the timeout passes; true when found.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  void signal(int sig);
  // Waits for exit (drains output); exit code, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  void pump(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
};

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// sse-server on a free port with the given SSE_* environment and flags.
class ServerProcess {
 public:
  using Env = std::initializer_list<std::pair<const std::string, std::string>>;
  explicit ServerProcess(Env env = {}, std::vector<std::string> args = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const;
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  Child& child() { return *child_; }

  // Sends a signal and waits for the exit; the exit code (nullopt: still running).
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Starts again on the same port with the same settings and data directory.
  void restart();

 private:
  void start(int port);
  TempDir data_dir_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> args_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

// How often `needle` occurs in `text` (without overlaps).
inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

std::string server_bin();
std::string ssectl_bin();

// The spec's reference demo token: test123 / testuser / user,admin.
inline const std::string kDemoToken =
    "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=";
// A demo token for a plain user ("alice", role user).
std::string user_token(const std::string& user_id, const std::string& roles = "user");

}  // namespace e2e
