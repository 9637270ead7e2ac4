#pragma once

// The HTTP edge: every connection, from accept to close, on the writer loops
// (docs/architecture.md, "Connections"). Each loop accepts from the one
// listening socket without blocking and runs a state machine per connection:
//
//   waiting ──first byte──> head ──head read──> body ──body read──> handling
//      ^                                                              │
//      └──────── kept alive <──── writing <──── the handler's answer <┘
//                                   │
//                 close: lingering ─┘        a stream: the loop adopts it
//
// A connection that is not running a handler holds no thread. A handler runs
// only with a complete request: on the connection's loop when it is cheap
// and never blocks (the Placement says so: a publish, a stream, /health),
// otherwise on the bounded handler pool; when the pool's queue is full the
// answer is 503 with Retry-After. Either way its answer is posted back to
// the connection's loop to be written. A stream is the same connection
// changing state on the same loop (WriterLoop::adopt_stream).
//
// Deadlines are the loop's timers: the whole head (server.request_timeout),
// the whole body (server.body_timeout), the idle time between requests
// (server.keepalive_timeout), and the time to take an answer, whatever a
// client trickles. Requests are framed strictly (http::RequestParser); a
// refusal is a JSON error, after which the connection closes.
//
// Thread-safety: start() and stop_accepting() from one controlling thread;
// everything else runs on the loops' threads.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "http/request_parser.hpp"
#include "server/exchange.hpp"
#include "server/handler_pool.hpp"
#include "sse/metrics/metrics.hpp"
#include "sse/stream/socket_fd.hpp"
#include "sse/stream/writer_loop.hpp"
#include "sse/util/logger.hpp"

namespace sse {

struct EdgeOptions {
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds body_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{30000};
  http::ParseLimits limits;
  size_t max_connections = 16384;  // HTTP connections open at once (streams not counted)
};

class HttpEdge {
 public:
  // Serves a complete request: answers through the Responder exactly once,
  // now or later, from any thread. Must not throw, and must not block when
  // the Placement put it on a loop.
  using Handler = std::function<void(HttpRequest, Responder)>;
  // True: the request may be handled on its loop; false: on the pool.
  using Placement = std::function<bool(const http::RequestHead&, size_t body_bytes)>;

  // Serves `listener` (listening, non-blocking) on `loops`. The loops, the
  // pool, `metrics` and `logger` must outlive the edge, and the loops must
  // end before it is destroyed (their drain closes every connection).
  // Blocks until every loop serves.
  HttpEdge(EdgeOptions options, SocketFd listener, std::vector<WriterLoop*> loops,
           HandlerPool& pool, Handler handler, Placement placement, Metrics& metrics,
           Logger& logger);
  ~HttpEdge();
  HttpEdge(const HttpEdge&) = delete;
  HttpEdge& operator=(const HttpEdge&) = delete;

  // Stops accepting and closes the listening socket (the port is free when
  // it returns); idle connections close, requests in progress are answered
  // and their connections close after. Blocks until every loop has done so.
  // Idempotent.
  void stop_accepting();

  size_t open_connections() const { return open_.load(std::memory_order_relaxed); }

 private:
  class Loop;

  const EdgeOptions options_;
  SocketFd listener_;
  HandlerPool& pool_;
  const Handler handler_;
  const Placement placement_;
  Metrics& metrics_;
  Logger& logger_;
  // Runs `task` on every loop's thread and returns when all have run it.
  void on_every_loop(const std::function<void(Loop&)>& task);

  // HTTP connections on every loop, and those on their way to one.
  std::atomic<size_t> open_{0};
  std::vector<std::unique_ptr<Loop>> loops_;
  bool accepting_ = true;
};

}  // namespace sse
