#pragma once

// nginx or HAProxy in front of sse-server nodes, for end-to-end tests of a
// cluster, run from the sample configurations users copy
// (config/deploy/nginx.conf, config/deploy/haproxy.cfg) with only the
// changes listed at the top of each file: the listening port, one server
// line per node, and what running unprivileged in a temporary directory
// needs. A sample that no longer has the literals those changes look for is
// an error (std::runtime_error naming the literal), not a silent mismatch.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace e2e {

inline const std::string kNginxBin = "/usr/sbin/nginx";
inline const std::string kHaproxyBin = "/usr/sbin/haproxy";

class ProxyProcess {
 public:
  enum class Kind { kNginx, kHaproxy };

  // Starts the proxy on a free loopback port in front of the sse-server
  // nodes on 127.0.0.1:`node_ports` (at least one), and waits until it
  // accepts connections. The nodes need not be up yet. Throws
  // std::runtime_error with the proxy's log when it does not start within
  // 10 s (or is not installed).
  ProxyProcess(Kind kind, const std::vector<int>& node_ports);
  static ProxyProcess nginx(const std::vector<int>& node_ports) {
    return ProxyProcess(Kind::kNginx, node_ports);
  }
  static ProxyProcess haproxy(const std::vector<int>& node_ports) {
    return ProxyProcess(Kind::kHaproxy, node_ports);
  }
  ~ProxyProcess();  // SIGKILL: nginx runs as one process, HAProxy too
  ProxyProcess(ProxyProcess&&) noexcept;
  ProxyProcess& operator=(ProxyProcess&&) noexcept;
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  Kind kind() const { return kind_; }
  std::string name() const { return kind_ == Kind::kNginx ? "nginx" : "haproxy"; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& config() const { return config_; }  // the file as it runs
  std::string log() const;  // its error and access log so far, for INFO()

 private:
  void launch(int port, const std::vector<int>& node_ports);
  Kind kind_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Child> child_;
  std::string config_;
  int port_ = 0;
};

}  // namespace e2e
