#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "sse/auth/demo_token.hpp"

extern char** environ;

namespace e2e {
namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int* in_fd, int* out_fd, int* err_fd) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const auto& [key, value] : env) {
      if (value.empty()) {
        unsetenv(key.c_str());
      } else {
        setenv(key.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  *in_fd = in_pipe[1];
  *out_fd = out_pipe[0];
  *err_fd = err_pipe[0];
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int free_port() {
  // Bind port 0, read it, release it: the server binds it right after.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv, const std::string& input,
                  const std::map<std::string, std::string>& env,
                  std::chrono::milliseconds timeout) {
  int in_fd, out_fd, err_fd;
  signal(SIGPIPE, SIG_IGN);
  const pid_t pid = spawn(argv, env, &in_fd, &out_fd, &err_fd);
  if (!input.empty()) (void)!write(in_fd, input.data(), input.size());
  close(in_fd);
  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buffer[8192];
  while (open > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = decode_status(status);
  return result;
}

Child::Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  int in_fd;
  pid_ = spawn(argv, env, &in_fd, &out_fd_, &err_fd_);
  close(in_fd);
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Child::~Child() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void Child::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) return;
  char buffer[8192];
  for (int i = 0; i < 2; ++i) {
    int& fd = i == 0 ? out_fd_ : err_fd_;
    if (fd < 0) continue;
    for (;;) {
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? out_ : err_).append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        close(fd);
        fd = -1;
      }
      break;
    }
  }
}

bool Child::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (out_.find(needle) == std::string::npos) {
    if (Clock::now() >= deadline) return false;
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    pump(20);
  }
  return true;
}

void Child::signal(int sig) { kill(pid_, sig); }

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pump(20);
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = decode_status(status);
      while (out_fd_ >= 0 || err_fd_ >= 0) pump(50);
      return exit_code_;
    }
  }
  return std::nullopt;
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("sse-e2e-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::file(const std::string& name, const std::string& content) const {
  const auto full = path_ / name;
  std::ofstream(full, std::ios::binary) << content;
  return full.string();
}

ServerProcess::ServerProcess(Env env, std::vector<std::string> args)
    : env_(env), args_(std::move(args)) {
  // Quiet by default; a test that wants the access log sets SSE_LOG_LEVEL.
  env_.try_emplace("SSE_LOG_LEVEL", "warn");
  // The durable log (the default backend) in this test's own directory.
  env_.try_emplace("SSE_HISTORY_PATH", (data_dir_.path() / "events.db").string());
  start(0);
}

ServerProcess::~ServerProcess() = default;

void ServerProcess::start(int port) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int chosen = port != 0 ? port : free_port();
    std::vector<std::string> argv = {server_bin(), "--port", std::to_string(chosen)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    child_ = std::make_unique<Child>(argv, env_);
    if (child_->wait_for_output("listening on", std::chrono::seconds(10))) {
      port_ = chosen;
      return;
    }
    if (child_->wait(std::chrono::seconds(2))) {
      if (port != 0 && attempt < 4) {  // the old socket may linger a moment
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      if (port == 0) continue;
    }
    break;
  }
  throw std::runtime_error("sse-server did not start: " + child_->err());
}

std::string ServerProcess::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::optional<int> ServerProcess::stop(int sig, std::chrono::milliseconds timeout) {
  child_->signal(sig);
  return child_->wait(timeout);
}

void ServerProcess::restart() {
  if (!child_->wait(std::chrono::milliseconds(0))) stop(SIGKILL);
  start(port_);
}

std::string server_bin() { return SSE_SERVER_BIN; }
std::string ssectl_bin() { return SSECTL_BIN; }

std::string user_token(const std::string& user_id, const std::string& roles) {
  sse::Identity identity;
  identity.user_id = user_id;
  identity.username = user_id;
  identity.email = user_id + "@example.com";
  size_t start = 0;
  while (start <= roles.size()) {
    const size_t comma = roles.find(',', start);
    identity.roles.push_back(roles.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return sse::encode_demo_token(identity);
}

}  // namespace e2e
