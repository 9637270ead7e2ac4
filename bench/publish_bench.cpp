// publish_bench: how fast sse-server accepts publishes, and how fast it fans
// them out. C keep-alive connections POST N events in all while S streams
// read them; prints publishes/s, deliveries/s and publish latency.
//
//   sse_publish_bench --port P [--connections 8] [--events 20000] [--streams 100]
//
// A measuring tool, not a test: scripts in this folder run it against two
// servers in the same run and report the ratio.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sse_publish_bench: publish and fan-out throughput of one sse-server"};
  int port = 0, connections = 8, events = 20000, streams = 100;
  std::string token = "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=";
  app.add_option("--port", port, "sse-server port on 127.0.0.1")->required();
  app.add_option("--connections", connections, "concurrent publishing connections");
  app.add_option("--events", events, "events to publish in all");
  app.add_option("--streams", streams, "chat streams reading every event");
  app.add_option("--token", token, "bearer token (the spec's demo token by default)");
  CLI11_PARSE(app, argc, argv);

  // Readers: count event bytes ("\nid: " marks one event) until all arrived.
  std::atomic<long> delivered{0};
  std::vector<int> reader_fds;
  for (int i = 0; i < streams; ++i) {
    const int fd = connect_to(port);
    send_all(fd, "GET /chat/stream?room=bench&token=" + token + " HTTP/1.1\r\nHost: b\r\n\r\n");
    reader_fds.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    std::vector<pollfd> fds;
    for (int fd : reader_fds) fds.push_back({fd, POLLIN, 0});
    // Counts "event: message" lines; `matched[i]` carries a partial match
    // across reads.
    static constexpr std::string_view kNeedle = "event: message";
    std::vector<size_t> matched(fds.size(), 0);
    char chunk[65536];
    while (!stop) {
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        const ssize_t n = ::recv(fds[i].fd, chunk, sizeof chunk, 0);
        if (n <= 0) continue;
        long count = 0;
        size_t m = matched[i];
        for (ssize_t k = 0; k < n; ++k) {
          if (chunk[k] == kNeedle[m]) {
            if (++m == kNeedle.size()) {
              ++count;
              m = 0;
            }
          } else {
            m = chunk[k] == kNeedle[0] ? 1 : 0;
          }
        }
        matched[i] = m;
        delivered += count;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const std::string body =
      R"({"roomId":"bench","message":"a benchmark message of a typical size, about a hundred bytes"})";
  const std::string request =
      "POST /chat/send HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  std::vector<std::vector<double>> latencies(connections);
  std::atomic<int> failures{0};
  const auto started = Clock::now();
  std::vector<std::thread> publishers;
  for (int c = 0; c < connections; ++c) {
    publishers.emplace_back([&, c] {
      const int fd = connect_to(port);
      std::string buffer;
      for (int i = c; i < events; i += connections) {
        const auto t0 = Clock::now();
        if (!send_all(fd, request) || read_response(fd, buffer) != 202) ++failures;
        latencies[c].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      ::close(fd);
    });
  }
  for (auto& t : publishers) t.join();
  const double publish_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const long expected = static_cast<long>(events) * streams;
  while (delivered < expected && Clock::now() - started < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double fanout_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  stop = true;
  reader.join();
  for (int fd : reader_fds) ::close(fd);

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))];
  };
  std::printf(
      "publishes=%d failures=%d publish_per_s=%.0f p50_us=%.0f p99_us=%.0f streams=%d "
      "delivered=%ld/%ld deliveries_per_s=%.0f\n",
      events, failures.load(), events / publish_seconds, pct(0.5), pct(0.99), streams,
      delivered.load(), expected, delivered / fanout_seconds);
  return failures == 0 && delivered >= expected ? 0 : 1;
}
