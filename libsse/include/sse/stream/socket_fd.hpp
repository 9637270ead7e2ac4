#pragma once

// A connected socket's descriptor with exactly one owner, which closes it.
// A writer loop keeps a stream's socket as one of these rather than as a
// Poco::Net::StreamSocket: the descriptor is all it needs, and Poco's
// reference-counted SocketImpl would cost every open stream a heap object.
//
// Move-only; not thread-safe (one owner at a time).

#include <utility>

#include <Poco/Net/StreamSocket.h>

namespace sse {

class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  SocketFd(SocketFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SocketFd& operator=(SocketFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~SocketFd() { reset(); }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;

  // Takes the descriptor out of `socket`: from here it is this SocketFd's to
  // close, and `socket` (with every copy of it, Poco's own included) is left
  // uninitialized, so Poco neither closes it nor uses it again. An
  // uninitialized socket gives an invalid SocketFd. Call it on the thread
  // that owns the socket (the request's worker).
  static SocketFd take(Poco::Net::StreamSocket& socket);

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Shuts both directions down (the peer sees the end at once) and closes.
  // Errors (the peer reset it, it never connected) are ignored.
  void shutdown_and_close();
  // Closes (without a shutdown); idempotent.
  void reset();

 private:
  int fd_ = -1;
};

}  // namespace sse
