#include "support/proxy.hpp"

#include <sstream>
#include <stdexcept>

#include "support/daemon.hpp"

namespace e2e {
namespace {

using Kind = ProxyProcess::Kind;

bool is_comment(const std::string& line) {
  const size_t first = line.find_first_not_of(" \t");
  return first == std::string::npos || line[first] == '#';
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The sample's lines, with a function applied to each line that is not a
// comment; comments are kept as they are (they quote the literals).
class Lines {
 public:
  explicit Lines(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }
  std::string text() const {
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }
  // Replaces `from` with `to` in every directive line; throws when none has it.
  void replace(const std::string& from, const std::string& to) {
    size_t found = 0;
    for (auto& line : lines_) {
      if (is_comment(line) || line.find(from) == std::string::npos) continue;
      replace_all(line, from, to);
      ++found;
    }
    if (found == 0) missing(from);
  }
  // Drops every directive line that starts with `word` and a space.
  void drop_directive(const std::string& word) {
    const size_t before = lines_.size();
    std::erase_if(lines_, [&](const std::string& line) {
      const size_t first = line.find_first_not_of(" \t");
      return !is_comment(line) && line.compare(first, word.size() + 1, word + " ") == 0;
    });
    if (lines_.size() == before) missing(word);
  }
  // The one directive line that contains `literal`.
  size_t find_one(const std::string& literal) const {
    size_t found = lines_.size();
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (is_comment(lines_[i]) || lines_[i].find(literal) == std::string::npos) continue;
      if (found != lines_.size()) {
        throw std::runtime_error("the sample config has two lines with " + literal);
      }
      found = i;
    }
    if (found == lines_.size()) missing(literal);
    return found;
  }
  // Puts one copy of the first node's server line per node in its place, and
  // drops the second node's line.
  void servers(const std::vector<int>& node_ports, Kind kind) {
    const size_t first = find_one("127.0.0.1:3001");
    const size_t second = find_one("127.0.0.1:3002");
    const std::string model = lines_[first];
    std::vector<std::string> copies;
    for (size_t i = 0; i < node_ports.size(); ++i) {
      std::string line = model;
      replace_all(line, "127.0.0.1:3001", "127.0.0.1:" + std::to_string(node_ports[i]));
      if (kind == Kind::kHaproxy) replace_all(line, "node1", "node" + std::to_string(i + 1));
      copies.push_back(line);
    }
    // The later line first, so the earlier index still holds.
    const size_t low = std::min(first, second);
    const size_t high = std::max(first, second);
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(high));
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(low));
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(low), copies.begin(), copies.end());
  }

 private:
  [[noreturn]] static void missing(const std::string& literal) {
    throw std::runtime_error("the sample config has no directive with '" + literal +
                             "': update tests/e2e/support/proxy.cpp and the comment at the top "
                             "of the file together");
  }
  std::vector<std::string> lines_;
};

// The sample configuration's path in the source tree.
std::filesystem::path sample_config(Kind kind) {
  return std::filesystem::path(SSE_SOURCE_DIR) / "config" / "deploy" /
         (kind == Kind::kNginx ? "nginx.conf" : "haproxy.cfg");
}

// The sample `sample` as a test runs it: listening on `port`, one server per
// entry of `node_ports`, its files under `dir` (the changes listed at the top
// of each sample). Throws when a line it changes is missing from the sample.
std::string test_config(Kind kind, const std::string& sample, int port,
                        const std::vector<int>& node_ports, const std::filesystem::path& dir) {
  if (node_ports.empty()) throw std::runtime_error("a proxy needs at least one node");
  Lines lines(sample);
  lines.replace("127.0.0.1:8080", "127.0.0.1:" + std::to_string(port));
  lines.servers(node_ports, kind);
  const std::string into = dir.string() + "/";
  if (kind == Kind::kNginx) {
    lines.replace("/run/", into);
    lines.replace("/var/log/nginx/", into);
    lines.replace("/var/lib/nginx/", into);
  } else {
    lines.drop_directive("user");
    lines.drop_directive("group");
    lines.replace("log /dev/log", "log stderr format raw");
  }
  return lines.text();
}

}  // namespace

ProxyProcess::ProxyProcess(Kind kind, const std::vector<int>& node_ports)
    : kind_(kind), dir_(std::make_unique<TempDir>()) {
  for (int attempt = 0;; ++attempt) {
    try {
      launch(free_loopback_port(), node_ports);
      return;
    } catch (const std::runtime_error&) {
      // Most likely the port was taken between the probe and the bind.
      if (attempt == 4) throw;
    }
  }
}

ProxyProcess::~ProxyProcess() { child_.reset(); }  // killed before its directory goes
ProxyProcess::ProxyProcess(ProxyProcess&&) noexcept = default;
ProxyProcess& ProxyProcess::operator=(ProxyProcess&&) noexcept = default;

void ProxyProcess::launch(int port, const std::vector<int>& node_ports) {
  const auto& dir = dir_->path();
  config_ = test_config(kind_, file_text(sample_config(kind_)), port, node_ports, dir);
  std::vector<std::string> argv;
  if (kind_ == Kind::kNginx) {
    const std::string file = dir_->file("nginx.conf", config_);
    argv = {kNginxBin, "-c", file, "-g", "daemon off; master_process off;"};
  } else {
    const std::string file = dir_->file("haproxy.cfg", config_);
    argv = {kHaproxyBin, "-db", "-f", file};
  }
  child_ = spawn_logged(argv, dir / "proxy.out");
  if (!wait_until_ready(
          *child_, [port] { return accepts_connections(port); }, std::chrono::seconds(10))) {
    child_.reset();
    throw std::runtime_error(name() + " did not start on port " + std::to_string(port) + ":\n" +
                             log());
  }
  port_ = port;
}

std::string ProxyProcess::log() const {
  const auto& dir = dir_->path();
  std::string text = file_text(dir / "proxy.out");
  if (kind_ == Kind::kNginx) {
    text += file_text(dir / "error.log");
    text += file_text(dir / "sse-server.access.log");
  }
  return text;
}

}  // namespace e2e
