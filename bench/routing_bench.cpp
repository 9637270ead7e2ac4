// routing_bench: does publishing into one chat room cost more when many
// streams are open in another? One run against one sse-server, four phases:
//
//   alone  C connections publish into room "empty" for T seconds; no stream
//          is open anywhere
//   idle   S streams open in room "busy" (and stay open); the same publishing
//          into "empty" again
//   quiet  probes go into "busy" one at a time (the next once every stream
//          has the last); latency is from the probe's POST to its arrival on
//          each stream
//   flood  the publishing into "empty" again, while the probes keep going
//   health the same connections asking GET /health instead, while the probes
//          keep going: the same load on the machine without the hub, so
//          flood/health is what routing the flood costs the busy room, and
//          health/quiet is what sharing two cores costs it
//
// It prints the publish rates and the busy room's latencies, and the ratios
// that matter: idle/alone publish rate (what open streams elsewhere cost a
// publish) and flood/quiet and flood/health busy-room latency (what the
// flood costs the busy room). Fails when a probe does not reach every stream.
//
//   sse_routing_bench --port P [--streams 10000] [--connections 8] [--seconds 5]
//                     [--probes 20]
//
// A measuring tool, not a test: bench/routing runs it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads one HTTP response with a Content-Length; returns its status (0 on error).
int read_response(int fd, std::string& buffer) {
  for (;;) {
    const size_t head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t cl = buffer.find("Content-Length: ");
      const size_t length = cl < head_end ? std::strtoul(buffer.c_str() + cl + 16, nullptr, 10) : 0;
      if (buffer.size() >= head_end + 4 + length) {
        const int status = std::atoi(buffer.c_str() + 9);
        buffer.erase(0, head_end + 4 + length);
        return status;
      }
    }
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

std::string chat_post(const std::string& token, const std::string& room) {
  const std::string body =
      R"({"roomId":")" + room +
      R"(","message":"a benchmark message of a typical size, about a hundred bytes"})";
  return "POST /chat/send HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// C keep-alive connections POST `request` until `seconds` have passed;
// returns accepted publishes per second.
double flood(int port, int connections, double seconds, const std::string& request,
             std::atomic<int>& failures, int expected_status = 202) {
  std::atomic<long> done{0};
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration<double>(seconds);
  std::vector<std::thread> publishers;
  for (int c = 0; c < connections; ++c) {
    publishers.emplace_back([&] {
      const int fd = connect_to(port);
      std::string buffer;
      while (Clock::now() < deadline) {
        if (!send_all(fd, request) || read_response(fd, buffer) != expected_status) {
          ++failures;
          break;
        }
        ++done;
      }
      ::close(fd);
    });
  }
  for (auto& t : publishers) t.join();
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - started).count();
}

constexpr int kMaxProbes = 100000;

// The streams in room "busy", read by one epoll thread. Every "event: message"
// on a stream is the next probe: probes go one at a time, so the n-th message
// on any stream is probe n.
class BusyRoom {
 public:
  BusyRoom() : sent_at_(kMaxProbes), arrived_(kMaxProbes), latencies_(kMaxProbes) {
    epoll_ = ::epoll_create1(0);
  }

  void open(int port, int count, const std::string& token) {
    const std::string request =
        "GET /chat/stream?room=busy&token=" + token + " HTTP/1.1\r\nHost: b\r\n\r\n";
    streams_.resize(static_cast<size_t>(count));
    reader_ = std::thread([this] { read_loop(); });
    constexpr int kBatch = 200;  // within the server's accept queue
    for (int i = 0; i < count; ++i) {
      Stream& s = streams_[static_cast<size_t>(i)];
      s.fd = connect_to(port);
      send_all(s.fd, request);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(i);
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
      if ((i + 1) % kBatch == 0 || i + 1 == count) wait_until([&] { return opened_ >= i + 1; }, 60);
    }
    if (opened_ < count) {
      std::fprintf(stderr, "only %d of %d streams opened\n", opened_.load(), count);
      std::exit(1);
    }
  }

  // Publishes one probe and waits until every stream has it. False on timeout.
  bool probe(int fd, std::string& buffer, const std::string& request) {
    const int n = probes_++;
    sent_at_[static_cast<size_t>(n)] = now_ns();
    if (!send_all(fd, request) || read_response(fd, buffer) != 202) return false;
    return wait_until([&] { return arrived_[static_cast<size_t>(n)] >= size(); }, 30);
  }
  int probes() const { return probes_; }
  int size() const { return static_cast<int>(streams_.size()); }

  // Latencies (ms) of probes [first, last), every stream's, sorted.
  std::vector<double> latencies(int first, int last) {
    std::lock_guard lock(mu_);
    std::vector<double> out;
    for (int i = first; i < last; ++i) {
      auto& l = latencies_[static_cast<size_t>(i)];
      out.insert(out.end(), l.begin(), l.end());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void stop() {
    stop_ = true;
    reader_.join();
    for (auto& s : streams_) ::close(s.fd);
    ::close(epoll_);
  }

 private:
  struct Stream {
    int fd = -1;
    bool opened = false;
    size_t matched = 0;  // a partial "event: message" across reads
    int messages = 0;
  };
  static constexpr std::string_view kNeedle = "event: message";

  template <class F>
  static bool wait_until(F done, int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

  void read_loop() {
    std::vector<epoll_event> ready(1024);
    char chunk[65536];
    while (!stop_) {
      const int n = ::epoll_wait(epoll_, ready.data(), static_cast<int>(ready.size()), 50);
      for (int k = 0; k < n; ++k) {
        Stream& s = streams_[ready[static_cast<size_t>(k)].data.u32];
        const ssize_t got = ::recv(s.fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (got <= 0) continue;
        if (!s.opened) {
          s.opened = true;
          ++opened_;
        }
        count_messages(s, std::string_view(chunk, static_cast<size_t>(got)));
      }
    }
  }

  void count_messages(Stream& s, std::string_view bytes) {
    for (char c : bytes) {
      if (c == kNeedle[s.matched]) {
        if (++s.matched < kNeedle.size()) continue;
        s.matched = 0;
        const size_t probe = static_cast<size_t>(s.messages++);
        if (probe >= sent_at_.size()) continue;
        const double ms = static_cast<double>(now_ns() - sent_at_[probe].load()) / 1e6;
        {
          std::lock_guard lock(mu_);
          latencies_[probe].push_back(ms);
        }
        ++arrived_[probe];
      } else {
        s.matched = c == kNeedle[0] ? 1 : 0;
      }
    }
  }

  int epoll_ = -1;
  std::vector<Stream> streams_;
  std::vector<std::atomic<int64_t>> sent_at_;  // steady ns, by probe
  std::vector<std::atomic<int>> arrived_;
  std::mutex mu_;
  std::vector<std::vector<double>> latencies_;
  std::atomic<int> probes_{0};
  std::atomic<int> opened_{0};
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

double percentile(const std::vector<double>& sorted, double p) {
  return sorted.empty() ? 0.0
                        : sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))];
}

void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sse_routing_bench: publishing into one room while many streams read another"};
  int port = 0, streams = 10000, connections = 8, probes = 20;
  double seconds = 5;
  std::string token = "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=";
  app.add_option("--port", port, "sse-server port on 127.0.0.1")->required();
  app.add_option("--streams", streams, "chat streams open in room \"busy\"");
  app.add_option("--connections", connections, "concurrent publishing connections");
  app.add_option("--seconds", seconds, "length of each publishing phase");
  app.add_option("--probes", probes, "probes into \"busy\" in the quiet phase");
  app.add_option("--token", token, "bearer token (the spec's demo token by default)");
  CLI11_PARSE(app, argc, argv);
  raise_fd_limit();

  std::atomic<int> failures{0};
  const std::string into_empty = chat_post(token, "empty");
  const std::string into_busy = chat_post(token, "busy");

  const double alone_per_s = flood(port, connections, seconds, into_empty, failures);

  BusyRoom busy;
  busy.open(port, streams, token);
  const double idle_per_s = flood(port, connections, seconds, into_empty, failures);

  const int prober = connect_to(port);
  std::string buffer;
  bool lost = false;
  for (int i = 0; i < probes && !lost; ++i) {
    lost = !busy.probe(prober, buffer, into_busy);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int quiet_end = busy.probes();

  // Probes into "busy" while `load` runs; returns the load's rate and sets
  // the probes' range.
  auto probed = [&](auto load, int& first, int& last) {
    first = busy.probes();
    std::atomic<bool> loading{true};
    std::thread probing([&] {
      while (loading && !lost) {
        lost = !busy.probe(prober, buffer, into_busy);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    const double rate = load();
    loading = false;
    probing.join();
    // The last probe may have started as the load ended: count those inside it.
    last = std::max(first, busy.probes() - 1);
    return rate;
  };
  int flood_first = 0, flood_end = 0, health_first = 0, health_end = 0;
  const double flood_per_s =
      probed([&] { return flood(port, connections, seconds, into_empty, failures); }, flood_first,
             flood_end);
  const std::string health = "GET /health HTTP/1.1\r\nHost: b\r\n\r\n";
  const double health_per_s =
      probed([&] { return flood(port, connections, seconds, health, failures, 200); }, health_first,
             health_end);
  ::close(prober);
  const auto quiet = busy.latencies(0, quiet_end);
  const auto flooded = busy.latencies(flood_first, flood_end);
  const auto control = busy.latencies(health_first, health_end);
  busy.stop();

  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  const double quiet_p50 = percentile(quiet, 0.5), quiet_p99 = percentile(quiet, 0.99);
  const double flood_p50 = percentile(flooded, 0.5), flood_p99 = percentile(flooded, 0.99);
  const double health_p50 = percentile(control, 0.5), health_p99 = percentile(control, 0.99);
  std::printf(
      "streams=%d alone_per_s=%.0f idle_per_s=%.0f flood_per_s=%.0f health_per_s=%.0f "
      "quiet_p50_ms=%.1f quiet_p99_ms=%.1f flood_p50_ms=%.1f flood_p99_ms=%.1f "
      "health_p50_ms=%.1f health_p99_ms=%.1f probes=%d/%d/%d failures=%d lost=%d\n",
      streams, alone_per_s, idle_per_s, flood_per_s, health_per_s, quiet_p50, quiet_p99, flood_p50,
      flood_p99, health_p50, health_p99, quiet_end, flood_end - flood_first,
      health_end - health_first, failures.load(), lost ? 1 : 0);
  std::printf("publish rate into an empty room, %d streams open elsewhere / none open: %.2fx\n",
              streams, ratio(idle_per_s, alone_per_s));
  std::printf("busy room latency under that flood / quiet: p50 %.2fx, p99 %.2fx\n",
              ratio(flood_p50, quiet_p50), ratio(flood_p99, quiet_p99));
  std::printf("busy room latency under that flood / under a /health flood: p50 %.2fx, p99 %.2fx\n",
              ratio(flood_p50, health_p50), ratio(flood_p99, health_p99));
  return failures == 0 && !lost ? 0 : 1;
}
