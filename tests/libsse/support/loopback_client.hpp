#pragma once

// The client end of a loopback TCP connection, for tests that hand the
// server end to a writer loop or the hub: reads what a stream sends, as an
// EventSource client would see it, with bounded waits.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace sse::test {

using namespace std::chrono_literals;

inline constexpr auto kPatience = 5s;  // the most any wait below takes when things work

// The reading end of a stream, as an EventSource client would see it.
class Client {
 public:
  explicit Client(Poco::Net::StreamSocket socket) : socket_(std::move(socket)) {}

  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

  // Reads until `done(received())`, EOF, or kPatience; true when done.
  bool read_until(const std::function<bool(const std::string&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!done(received_)) {
      if (eof_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      read_some(static_cast<int>(left.count()));
    }
    return true;
  }
  bool read_bytes(size_t count) {
    return read_until([count](const std::string& r) { return r.size() >= count; });
  }
  bool read_until_contains(const std::string& needle, size_t occurrences = 1) {
    return read_until([&](const std::string& r) { return count_of(r, needle) >= occurrences; });
  }
  bool read_to_eof() {
    return read_until([this](const std::string&) { return eof_; }) || eof_;
  }
  // Takes what has arrived by now without waiting.
  const std::string& read_available() {
    while (!eof_ && read_some(0)) {
    }
    return received_;
  }

  static size_t count_of(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

 private:
  // One poll and one recv; false when nothing came.
  bool read_some(int timeout_ms) {
    pollfd pfd{socket_.impl()->sockfd(), POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
    char buffer[65536];
    const ssize_t n = ::recv(pfd.fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      eof_ = true;  // FIN, or a reset: either way the server closed it
      return false;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  Poco::Net::StreamSocket socket_;
  std::string received_;
  bool eof_ = false;
};

// A connected TCP pair on loopback: {client end, server end}.
inline std::pair<Poco::Net::StreamSocket, Poco::Net::StreamSocket> tcp_pair(int client_rcvbuf = 0) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress::IPv4);
  if (client_rcvbuf > 0) client.setReceiveBufferSize(client_rcvbuf);  // before the handshake
  client.connect(Poco::Net::SocketAddress("127.0.0.1", listener.address().port()));
  Poco::Net::StreamSocket server = listener.acceptConnection();
  return {client, server};
}

}  // namespace sse::test
