#pragma once

// A stream that is open in the hub but whose socket the hub does not have yet:
// the handshake between Hub::open() and the HTTP handler that sends the 200.
//
//   auto pending = hub.open(std::move(request));   // registered: events queue
//   if (!pending) return send_error(pending.error());
//   send_headers_and_flush();                      // may throw: abandons
//   std::move(*pending).connect(detach_socket());  // the socket is the hub's
//
// The stream is registered for live events (or its replay is scheduled) when
// open() returns, before the client can see "200": every event published after
// that reaches it, queued until connect(). A handle destroyed without
// connect() abandons the stream: it is closed, its connection-limiter ticket
// is released and its chat presence undone before the destructor returns.
//
// Move-only, not thread-safe (one handler owns it), and it must not outlive
// the hub that made it.

#include <Poco/Net/StreamSocket.h>

#include "sse/stream/writer_loop.hpp"

namespace sse {

class Hub;

class PendingStream {
 public:
  PendingStream(PendingStream&& other) noexcept { *this = std::move(other); }
  PendingStream& operator=(PendingStream&& other) noexcept;
  ~PendingStream();
  PendingStream(const PendingStream&) = delete;
  PendingStream& operator=(const PendingStream&) = delete;

  StreamId id() const { return id_; }
  // False when events after the resume point were already pruned (or the id
  // is not one the log gave out): the client has lost events.
  bool replay_complete() const { return replay_complete_; }

  // Hands over the socket: response headers sent and flushed, detached from
  // Poco. Its descriptor is taken out of it (SocketFd::take, on the calling
  // thread): `socket` and every copy of it, the connection's own included,
  // are left uninitialized, and the writer loop alone closes the descriptor.
  // If the stream was closed meanwhile (kicked, shut down), the socket is
  // closed. Consumes the handle.
  void connect(Poco::Net::StreamSocket socket) &&;
  // For a connection that lives on the stream's own writer loop (the one
  // StreamRequest::loop named): the caller takes over the stream's fate and
  // must post to that loop either WriterLoop::adopt_stream(id, …) or, when
  // the connection is gone, WriterLoop::close_now(id, …). A loop that stops
  // first closes the stream itself. Consumes the handle; returns the id.
  StreamId release() &&;

 private:
  friend class Hub;
  PendingStream(Hub* hub, StreamId id, bool replay_complete)
      : hub_(hub), id_(id), replay_complete_(replay_complete) {}

  Hub* hub_ = nullptr;  // null once connected, abandoned or moved from
  StreamId id_ = 0;
  bool replay_complete_ = true;
};

}  // namespace sse
