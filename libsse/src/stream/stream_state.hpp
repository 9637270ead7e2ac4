#pragma once

// Inside a writer loop: what one stream is while the loop owns it. Touched
// only by the loop's thread (writer_loop.cpp decides what goes in a queue,
// stream_output.cpp writes it out).
//
// Kept small: a server holds one of these per open stream, and most streams
// sit idle. An idle stream is this struct in the loop's map node, its socket
// a bare descriptor and its queue empty, with no heap storage of its own
// (docs/architecture.md, "Memory per stream").

#include <memory>
#include <string>

#include "sse/stream/socket_fd.hpp"
#include "sse/stream/writer_loop.hpp"
#include "stream/ring_queue.hpp"

namespace sse {
namespace detail {

using Bytes = std::shared_ptr<const std::string>;

// Shares ownership with the event; points at its wire bytes.
inline Bytes wire_of(const EventPtr& event) { return Bytes(event, &event->wire); }

// One queued piece of a stream: an event, the preamble, a heartbeat, a farewell.
struct Chunk {
  Bytes bytes;
  EventId event_id = 0;  // 0: not an event (does not move the client's last id)
  bool live = true;      // counts against max_queued (replayed events do not)
};

}  // namespace detail

struct WriterLoop::Stream {
  StreamId id = 0;
  SocketFd socket;  // invalid until post_connect
  bool want_write = false;
  bool dirty = false;
  bool close_after_flush = false;  // the farewell is queued: nothing more goes in
  detail::RingQueue<detail::Chunk> queue;
  size_t front_offset = 0;  // bytes of queue.front() already written
  size_t live_queued = 0;
  size_t queued_bytes = 0;  // of the queue, minus front_offset
  int64_t last_event_steady_ms = 0;
  int64_t expires_at_ms = 0;
  std::shared_ptr<StreamStats> stats;

  int fd() const { return socket.get(); }

  // Queues `chunk` at the back (or, for the response head, the front of a
  // queue nothing of which is written yet). WriterLoop::enqueue counts it
  // for the loop too.
  void push(detail::Chunk chunk, bool front = false) {
    if (chunk.live) ++live_queued;
    queued_bytes += chunk.bytes->size();
    if (front) {
      queue.push_front(std::move(chunk));
    } else {
      queue.push_back(std::move(chunk));
    }
    stats->queued.store(queue.size(), std::memory_order_relaxed);
    stats->queued_bytes.store(queued_bytes, std::memory_order_relaxed);
  }
};

}  // namespace sse
