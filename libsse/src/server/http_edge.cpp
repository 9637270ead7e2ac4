#include "server/http_edge.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <future>
#include <unordered_map>

#include <fmt/format.h>

#include "server/listener.hpp"

namespace sse {
namespace {

using Millis = std::chrono::milliseconds;

constexpr int64_t kNever = INT64_MAX;
constexpr uint64_t kListenerTag = 0;     // connection ids start at 1
constexpr int kAcceptBatch = 64;         // per wake-up and loop: the others get their share
constexpr int64_t kAcceptPauseMs = 100;  // out of descriptors: try again after this
constexpr int64_t kMaxLingerMs = 2000;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kKeptBufferBytes = 4096;  // an idle connection keeps at most this much capacity

// Edge-triggered: registered once, never modified; the state machine decides
// what to do with each edge (docs/architecture.md, "Connections").
constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

enum class Phase {
  kWaiting,    // for the first byte of a request (a fresh or kept-alive connection)
  kHead,       // reading the request head
  kBody,       // reading the body
  kHandling,   // a handler has the request; nothing is read
  kWriting,    // the answer is going out
  kLingering,  // answered and half-closed: reading what the client still sends, then close
};

std::string error_response(int status, std::string_view code, std::string_view message,
                           int64_t retry_after_s = 0) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("Cache-Control", "no-store");
  if (retry_after_s > 0)
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  response.body = error_body(code, message);
  http::Framing framing;
  framing.keep_alive = false;
  return http::serialize(response, framing);
}

Rejection rejection_for(int status) {
  switch (status) {
    case 408:
      return Rejection::kRequestTimeout;
    case 413:
      return Rejection::kPayloadTooLarge;
    case 500:
      return Rejection::kInternal;
    default:
      return Rejection::kBadRequest;
  }
}

}  // namespace

// One loop's share of the edge: its connections and its place on the
// listening socket. Loop-thread only, apart from the constructor and what
// says "any thread": load(), serving(), post(), unplace() and the
// AnswerSink calls.
class HttpEdge::Loop final : public LoopGuest, public AnswerSink {
 public:
  Loop(HttpEdge& edge, WriterLoop& loop, size_t index) : edge_(edge), loop_(loop), index_(index) {
    accept_retry_ms_ = std::clamp<int64_t>(edge.options_.request_timeout.count() / 10, 5, 250);
  }

  // Becomes the loop's guest: from here on it serves what place() gives it.
  void attach() {
    loop_.set_guest(this);
    serving_.store(true, std::memory_order_release);
  }
  // Watches the listening socket; every loop has attached by then.
  void start_accepting() { resume_accepting(); }
  void stop_accepting();
  // Any thread; false once the loop has stopped.
  bool post(std::function<void()> task) { return loop_.post_task(std::move(task)); }
  // What this loop carries: its HTTP connections (counted from the accept
  // that placed them here) and its streams. Any thread.
  size_t load() const { return placed_.load(std::memory_order_relaxed) + loop_.stream_count(); }
  // Whether place() may give it connections: attached, not draining. Any thread.
  bool serving() const { return serving_.load(std::memory_order_acquire); }

  // LoopGuest
  void on_ready(uint64_t tag, uint32_t events) override;
  int64_t on_tick(int64_t now) override;
  void on_drain() override;
  bool drained() const override { return connections_.empty(); }
  void on_stop() override;

  // AnswerSink, for the Responders of this loop's requests.
  // Takes a handler's answer on any thread: kept for write_answered_here()
  // on this loop's thread, posted to the loop from any other.
  void take_answer(uint64_t id, Reply reply) override {
    if (reply.stream == 0 && loop_.on_loop_thread()) {
      answered_here_.emplace_back(id, std::move(reply));
      return;
    }
    (void)loop_.post_task(
        [this, id, reply = std::move(reply)]() mutable { on_reply(id, std::move(reply)); });
  }
  void lost_answer(uint64_t id) override {
    (void)loop_.post_task([this, id] { unanswered(id); });
  }

  // A handler's answer, posted back to this loop.
  void on_reply(uint64_t id, Reply reply);
  // Writes the answers handlers gave on this thread (see dispatch).
  void write_answered_here();
  // A handler dropped its Responder without answering.
  void unanswered(uint64_t id);

 private:
  struct Connection {
    uint64_t id = 0;
    SocketFd socket;
    Phase phase = Phase::kWaiting;
    bool fresh = true;         // no request yet: the head deadline runs from accept
    bool peer_done = false;    // the client half-closed (read returned 0)
    bool close_after = false;  // close once the answer is written
    // The socket may hold unread bytes (edge-triggered: no new edge comes
    // for them): the last read filled the buffer, or an edge came while the
    // connection was not reading.
    bool maybe_more = false;
    int64_t deadline_ms = kNever;
    http::RequestParser parser;
    std::string input;  // read but not yet parsed (a pipelined request), from input_at
    size_t input_at = 0;
    std::string output;  // the answer being written
    size_t written = 0;
    std::string remote;

    explicit Connection(const http::ParseLimits& limits) : parser(limits) {}
  };

  int64_t now() const { return loop_.clock().steady_ms(); }
  void set_deadline(Connection& c, int64_t at) {
    c.deadline_ms = at;
    earliest_deadline_ = std::min(earliest_deadline_, at);
  }
  const EdgeOptions& options() const { return edge_.options_; }

  void accept_ready();
  void pause_accepting(int64_t until_ms);
  void resume_accepting();
  // Hands an accepted socket to the least loaded loop, this one on a tie.
  void place(SocketFd socket);
  // Serves a socket place() gave this loop.
  void add_connection(SocketFd socket);
  // Forgets a placed connection that will not be served.
  void unplace();

  void read_and_parse(Connection& c);
  // Feeds `bytes` (from c.input when `buffered`); false: stop reading.
  bool parse(Connection& c, std::string_view bytes, bool buffered);
  void on_peer_done(Connection& c);
  void dispatch(Connection& c);
  void answer(Connection& c, std::string bytes, bool close_after);
  void refuse(Connection& c, int status, std::string_view code, std::string_view message,
              int64_t retry_after_s = 0);
  void write_some(Connection& c);
  void answered(Connection& c);
  void linger(Connection& c);
  void discard_input(Connection& c);
  void on_deadline(Connection& c);
  void become_stream(Connection& c, Reply& reply);
  void close(Connection& c);

  HttpEdge& edge_;
  WriterLoop& loop_;
  const size_t index_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  bool watching_listener_ = false;
  bool accepting_ = true;
  int64_t accept_paused_until_ = 0;  // > 0: paused (descriptors or the connection cap)
  bool draining_ = false;
  int64_t accept_retry_ms_ = 100;  // how soon an accept paused at the cap looks again
  // No connection's deadline is earlier (it may be later: deadlines move
  // out without a scan; the scan at this time finds the true next one).
  int64_t earliest_deadline_ = kNever;
  std::vector<uint64_t> resume_;  // answered and kept alive: parse what is buffered
  std::vector<std::pair<uint64_t, Reply>> answered_here_;
  std::vector<std::pair<uint64_t, Reply>> answering_;  // write_answered_here()'s batch
  bool writing_answered_ = false;
  std::array<char, kReadChunk> scratch_{};
  std::atomic<size_t> placed_{0};  // connections place() gave this loop, not yet closed
  std::atomic<bool> serving_{false};
};

// Accepting.

void HttpEdge::Loop::resume_accepting() {
  accept_paused_until_ = 0;
  if (!accepting_ || watching_listener_) return;
  // EPOLLEXCLUSIVE: one loop wakes per new connection, not all of them.
  watching_listener_ = loop_.watch(edge_.listener_.get(), kListenerTag, EPOLLIN | EPOLLEXCLUSIVE) ||
                       loop_.watch(edge_.listener_.get(), kListenerTag, EPOLLIN);
  if (!watching_listener_) {
    edge_.logger_.error("a loop cannot watch the listening socket; it accepts nothing",
                        {{"error", std::strerror(errno)}});
  }
}

void HttpEdge::Loop::pause_accepting(int64_t until_ms) {
  if (watching_listener_) loop_.unwatch(edge_.listener_.get());
  watching_listener_ = false;
  accept_paused_until_ = until_ms;
}

void HttpEdge::Loop::stop_accepting() {
  accepting_ = false;
  pause_accepting(0);
}

void HttpEdge::Loop::accept_ready() {
  for (int i = 0; i < kAcceptBatch && accepting_; ++i) {
    if (edge_.open_.load(std::memory_order_relaxed) >= options().max_connections) {
      // The rest wait in the backlog until a connection closes.
      return pause_accepting(now() + accept_retry_ms_);
    }
    const int fd = ::accept4(edge_.listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      place(SocketFd(fd));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      edge_.logger_.warn("accept: out of descriptors or memory; pausing",
                         {{"error", std::strerror(errno)}});
      return pause_accepting(now() + kAcceptPauseMs);
    }
    edge_.logger_.error("accept failed", {{"error", std::strerror(errno)}});
    return pause_accepting(now() + kAcceptPauseMs);
  }
}

// One loop wakes for a burst of connects (EPOLLEXCLUSIVE) and accepts all of
// it; placing each connection by load spreads the burst, and the streams
// that follow, over every loop.
void HttpEdge::Loop::place(SocketFd socket) {
  Loop* target = this;
  for (const auto& loop : edge_.loops_) {
    if (loop->serving() && loop->load() < target->load()) target = loop.get();
  }
  // Counted from here, so that max_connections covers sockets on their way.
  edge_.open_.fetch_add(1, std::memory_order_relaxed);
  target->placed_.fetch_add(1, std::memory_order_relaxed);
  if (target == this) return add_connection(std::move(socket));
  auto handed = std::make_shared<SocketFd>(std::move(socket));
  if (target->post([target, handed] { target->add_connection(std::move(*handed)); })) return;
  // That loop stopped before it took the task (the task, unrun, still holds
  // the socket): this one serves it.
  target->unplace();
  placed_.fetch_add(1, std::memory_order_relaxed);
  edge_.open_.fetch_add(1, std::memory_order_relaxed);
  add_connection(std::move(*handed));
}

void HttpEdge::Loop::unplace() {
  placed_.fetch_sub(1, std::memory_order_relaxed);
  edge_.open_.fetch_sub(1, std::memory_order_relaxed);
}

void HttpEdge::Loop::add_connection(SocketFd socket) {
  const int fd = socket.get();
  // A loop that drains serves no new connection (the socket closes).
  if (draining_) return unplace();
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto c = std::make_unique<Connection>(options().limits);
  c->id = next_id_++;
  c->remote = peer_address(fd);
  set_deadline(*c, now() + options().request_timeout.count());
  if (!loop_.watch(fd, c->id, kConnectionEvents)) return unplace();  // the socket closes
  c->socket = std::move(socket);
  edge_.metrics_.http_connections_accepted.fetch_add(1, Metrics::relaxed);
  edge_.metrics_.http_connections_open.fetch_add(1, Metrics::relaxed);
  connections_.emplace(c->id, std::move(c));
}

// Readiness.

void HttpEdge::Loop::on_ready(uint64_t tag, uint32_t events) {
  if (tag == kListenerTag) return accept_ready();
  auto it = connections_.find(tag);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (events & EPOLLERR) return close(c);
  if (events & EPOLLOUT && c.phase == Phase::kWriting) {
    write_some(c);
    if (!connections_.count(tag)) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
    switch (c.phase) {
      case Phase::kWaiting:
      case Phase::kHead:
      case Phase::kBody:
        return read_and_parse(c);
      case Phase::kLingering:
        return discard_input(c);
      case Phase::kHandling:
      case Phase::kWriting:
        // Read when the answer is out (answered() reads again); a reset
        // shows as EPOLLERR, or as the write failing.
        c.maybe_more = true;
        if (events & EPOLLHUP) c.peer_done = true;
        return;
    }
  }
}

void HttpEdge::Loop::read_and_parse(Connection& c) {
  const uint64_t id = c.id;
  if (c.input_at < c.input.size()) {
    const std::string_view rest(c.input.data() + c.input_at, c.input.size() - c.input_at);
    if (!parse(c, rest, /*buffered=*/true)) return;
  }
  c.input.clear();
  c.input_at = 0;
  for (;;) {
    const ssize_t n = ::recv(c.socket.get(), scratch_.data(), scratch_.size(), 0);
    if (n > 0) {
      const bool filled = static_cast<size_t>(n) == scratch_.size();
      if (!parse(c, std::string_view(scratch_.data(), static_cast<size_t>(n)), false)) {
        // Stopped at a complete request (or a refusal); `c` may be gone.
        if (auto it = connections_.find(id); it != connections_.end()) {
          it->second->maybe_more = filled;
        }
        return;
      }
      continue;
    }
    if (n == 0) return on_peer_done(c);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return close(c);  // reset
  }
}

bool HttpEdge::Loop::parse(Connection& c, std::string_view bytes, bool buffered) {
  const bool first_bytes = c.phase == Phase::kWaiting;
  if (first_bytes) c.phase = Phase::kHead;
  const size_t used = c.parser.feed(bytes);
  // An offset, not a copy: a run of small pipelined requests costs linear time.
  if (buffered) c.input_at += used;
  const auto state = c.parser.state();
  if (state == http::RequestParser::State::kError) {
    const http::ParseError& error = c.parser.error();
    refuse(c, error.status, error.code, error.message);
    return false;
  }
  const bool head_ended = c.phase == Phase::kHead && c.parser.head_complete();
  if (head_ended) {
    c.phase = Phase::kBody;
    if (state == http::RequestParser::State::kBody && c.parser.head().expect_continue) {
      // RFC 9110 10.1.1: the client waits for this before it sends the body.
      // Nothing else is in flight (answers go one at a time and this
      // client waits), so it goes whole into an empty send buffer; if it
      // does not, the connection cannot go on framed.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      const ssize_t sent = ::send(c.socket.get(), kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
      if (sent != static_cast<ssize_t>(kContinue.size())) {
        close(c);
        return false;
      }
    }
  }
  if (state != http::RequestParser::State::kComplete) {
    // The deadline of the part still awaited (a request read whole needs
    // none): the body's runs from the end of the head; a kept-alive
    // connection's head from its first byte (a fresh one's ran from accept).
    if (head_ended) {
      set_deadline(c, now() + options().body_timeout.count());
    } else if (first_bytes && !c.fresh) {
      set_deadline(c, now() + options().request_timeout.count());
    }
    return true;
  }
  if (!buffered) {
    c.input.assign(bytes.substr(used));  // the next request, pipelined
    c.input_at = 0;
  }
  dispatch(c);
  return false;
}

void HttpEdge::Loop::on_peer_done(Connection& c) {
  c.peer_done = true;
  switch (c.phase) {
    case Phase::kWaiting:
      return close(c);
    case Phase::kHead:
      return refuse(c, 400, "bad_request", "the connection ended inside the request head");
    case Phase::kBody: {
      const http::RequestHead& head = c.parser.head();
      if (head.framing == http::BodyFraming::kLength) {
        const uint64_t got = head.content_length - c.parser.body_bytes_expected();
        return refuse(c, 400, "bad_request",
                      fmt::format("the body ended after {} of the {} bytes of its Content-Length",
                                  got, head.content_length));
      }
      return refuse(c, 400, "bad_request", "the chunked body ended before its last chunk");
    }
    case Phase::kLingering:
      return close(c);
    case Phase::kHandling:
    case Phase::kWriting:
      return;  // answered, then closed (answered() sees peer_done)
  }
}

// Handing a request to the pool and its answer back.

void HttpEdge::Loop::dispatch(Connection& c) {
  c.phase = Phase::kHandling;
  c.deadline_ms = kNever;
  c.fresh = false;
  HttpRequest request;
  request.head = c.parser.share_head();  // no copy: reused only once nothing holds it
  request.body = c.parser.take_body();
  request.remote_address = c.remote;
  request.loop = index_;
  // On the loop's own thread (a handler that ran here and answered at once)
  // the answer waits in answered_here_ until the handler has returned: it
  // may answer from inside the log's append, and the write must not happen
  // under the log's lock. A stream still goes through the inbox, behind the
  // NewStream its handler posted. From any other thread, through the inbox;
  // refused when the loop has stopped: it closed the connection, and a
  // stream the reply names, itself.
  Responder respond(*this, c.id);
  if (edge_.placement_ && edge_.placement_(*request.head, request.body.size())) {
    edge_.handler_(std::move(request), std::move(respond));
    // `c` may be gone after this (the answer failed to write): the callers
    // touch it no more.
    return write_answered_here();
  }
  // A pool job is copyable; the request and its (move-only) Responder are not.
  struct Job {
    HttpRequest request;
    Responder respond;
  };
  auto job = std::make_shared<Job>(Job{std::move(request), std::move(respond)});
  const bool queued = edge_.pool_.try_submit(
      [this, job] { edge_.handler_(std::move(job->request), std::move(job->respond)); });
  if (!queued) {
    edge_.metrics_.count(Rejection::kBusy);
    refuse(c, 503, "unavailable", "every request handler is busy; retry shortly", 1);
  }
}

void HttpEdge::Loop::unanswered(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->phase != Phase::kHandling) return;
  edge_.logger_.error("a request handler gave no answer", {{"remote", it->second->remote}});
  refuse(*it->second, 500, "internal", "the server failed to answer this request");
}

void HttpEdge::Loop::write_answered_here() {
  // A call from inside on_reply (a pipelined request answered at once)
  // leaves its answers to the call already running, which writes them next.
  if (writing_answered_) return;
  writing_answered_ = true;
  struct Done {
    Loop& loop;
    ~Done() {
      loop.answering_.clear();
      loop.writing_answered_ = false;
    }
  } done{*this};
  while (!answered_here_.empty()) {
    answering_.swap(answered_here_);  // both keep their capacity: no allocation per answer
    for (auto& [id, reply] : answering_) on_reply(id, std::move(reply));
    answering_.clear();
  }
}

void HttpEdge::Loop::on_reply(uint64_t id, Reply reply) {
  auto it = connections_.find(id);
  if (it == connections_.end()) {
    // The connection went (reset, drain deadline) while its handler ran.
    if (reply.stream != 0) loop_.close_now(reply.stream, CloseReason::kClientGone);
    return;
  }
  Connection& c = *it->second;
  if (reply.stream != 0) return become_stream(c, reply);
  answer(c, std::move(reply.bytes), !reply.keep_alive || draining_ || c.peer_done);
}

void HttpEdge::Loop::become_stream(Connection& c, Reply& reply) {
  loop_.unwatch(c.socket.get());
  SocketFd socket = std::move(c.socket);
  const StreamId stream = reply.stream;
  std::string head = std::move(reply.bytes);
  close(c);  // the bookkeeping only: the socket is the stream's now
  loop_.adopt_stream(stream, std::move(socket), std::move(head));
}

// Writing.

void HttpEdge::Loop::refuse(Connection& c, int status, std::string_view code,
                            std::string_view message, int64_t retry_after_s) {
  if (status != 503) edge_.metrics_.count(rejection_for(status));
  answer(c, error_response(status, code, message, retry_after_s), true);
}

void HttpEdge::Loop::answer(Connection& c, std::string bytes, bool close_after) {
  c.phase = Phase::kWriting;
  c.output = std::move(bytes);
  c.written = 0;
  c.close_after = close_after;
  // A client that does not take its answer is dropped after this.
  set_deadline(c, now() + options().request_timeout.count());
  write_some(c);
}

void HttpEdge::Loop::write_some(Connection& c) {
  while (c.written < c.output.size()) {
    const ssize_t n = ::send(c.socket.get(), c.output.data() + c.written,
                             c.output.size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT comes
    return close(c);
  }
  answered(c);
}

void HttpEdge::Loop::answered(Connection& c) {
  c.output.clear();
  if (c.output.capacity() > kKeptBufferBytes) c.output.shrink_to_fit();
  if (c.close_after || draining_) return linger(c);
  c.parser.reset();
  c.phase = Phase::kWaiting;
  set_deadline(c, now() + options().keepalive_timeout.count());
  // Parse what came meanwhile at the end of this wake-up, not from inside
  // this call: a pipelining client must not recurse through the stack.
  // Nothing buffered and nothing unread: the next edge brings the next request.
  if (c.input_at < c.input.size() || c.maybe_more) resume_.push_back(c.id);
}

// Closing.

void HttpEdge::Loop::linger(Connection& c) {
  // A close with unread bytes would reset the connection, and the client
  // could lose the answer: stop sending, and read until the client closes
  // or a short time passes (RFC 9112 9.6).
  if (c.peer_done) return close(c);
  ::shutdown(c.socket.get(), SHUT_WR);
  c.phase = Phase::kLingering;
  c.input.clear();
  c.input_at = 0;
  set_deadline(c, now() + std::min<int64_t>(kMaxLingerMs, options().request_timeout.count()));
  discard_input(c);
}

void HttpEdge::Loop::discard_input(Connection& c) {
  for (;;) {
    const ssize_t n = ::recv(c.socket.get(), scratch_.data(), scratch_.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return close(c);  // the client closed (or reset)
  }
}

void HttpEdge::Loop::close(Connection& c) {
  const uint64_t id = c.id;
  if (c.socket.valid()) {
    loop_.unwatch(c.socket.get());
    c.socket.reset();
  }
  connections_.erase(id);  // `c` is gone from here
  unplace();
  edge_.metrics_.http_connections_open.fetch_sub(1, Metrics::relaxed);
}

// Timers.

void HttpEdge::Loop::on_deadline(Connection& c) {
  switch (c.phase) {
    case Phase::kWaiting:
      return close(c);  // silent or idle: nothing to answer
    case Phase::kHead:
      return refuse(c, 408, "request_timeout",
                    fmt::format("the request head did not arrive within {} ms",
                                options().request_timeout.count()));
    case Phase::kBody:
      return refuse(
          c, 408, "request_timeout",
          fmt::format("the body did not arrive within {} ms", options().body_timeout.count()));
    case Phase::kWriting:
    case Phase::kLingering:
      return close(c);
    case Phase::kHandling:
      return;  // no deadline
  }
}

int64_t HttpEdge::Loop::on_tick(int64_t now_ms) {
  write_answered_here();  // a callback that ran on this thread outside dispatch
  std::vector<uint64_t> resume;
  resume.swap(resume_);
  for (uint64_t id : resume) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->phase != Phase::kWaiting) continue;
    it->second->maybe_more = false;
    read_and_parse(*it->second);
  }
  if (accept_paused_until_ > 0 && now_ms >= accept_paused_until_) {
    if (edge_.open_.load(std::memory_order_relaxed) < options().max_connections) {
      resume_accepting();
      accept_ready();
    } else {
      accept_paused_until_ = now_ms + accept_retry_ms_;  // still full: look again later
    }
  }
  if (now_ms >= earliest_deadline_) {
    earliest_deadline_ = kNever;
    std::vector<uint64_t> due;
    for (auto& [id, c] : connections_) {
      if (now_ms >= c->deadline_ms) {
        due.push_back(id);
      } else {
        earliest_deadline_ = std::min(earliest_deadline_, c->deadline_ms);
      }
    }
    for (uint64_t id : due) {
      auto it = connections_.find(id);
      if (it != connections_.end()) on_deadline(*it->second);
    }
  }
  if (!resume_.empty()) return now_ms;
  int64_t next = earliest_deadline_;
  if (accept_paused_until_ > 0) next = std::min(next, accept_paused_until_);
  return next;
}

void HttpEdge::Loop::on_drain() {
  draining_ = true;
  serving_.store(false, std::memory_order_release);
  stop_accepting();
  std::vector<uint64_t> idle;
  for (auto& [id, c] : connections_) {
    if (c->phase == Phase::kWaiting) idle.push_back(id);
  }
  for (uint64_t id : idle) close(*connections_.at(id));
}

void HttpEdge::Loop::on_stop() {
  std::vector<uint64_t> left;
  for (auto& [id, c] : connections_) left.push_back(id);
  for (uint64_t id : left) close(*connections_.at(id));
  serving_.store(false, std::memory_order_release);
  loop_.set_guest(nullptr);
}

// The edge.

HttpEdge::HttpEdge(EdgeOptions options, SocketFd listener, std::vector<WriterLoop*> loops,
                   HandlerPool& pool, Handler handler, Placement placement, Metrics& metrics,
                   Logger& logger)
    : options_(std::move(options)),
      listener_(std::move(listener)),
      pool_(pool),
      handler_(std::move(handler)),
      placement_(std::move(placement)),
      metrics_(metrics),
      logger_(logger) {
  // Every Loop exists before any accepts (place() reads loops_ from the loop
  // threads), and every one is a guest before any accepts (a connection
  // placed on a loop without its guest would never be read).
  for (size_t i = 0; i < loops.size(); ++i) {
    loops_.push_back(std::make_unique<Loop>(*this, *loops[i], i));
  }
  on_every_loop([](Loop& loop) { loop.attach(); });
  on_every_loop([](Loop& loop) { loop.start_accepting(); });
}

void HttpEdge::on_every_loop(const std::function<void(Loop&)>& task) {
  std::vector<std::future<void>> done_everywhere;
  for (auto& loop : loops_) {
    auto done = std::make_shared<std::promise<void>>();
    done_everywhere.push_back(done->get_future());
    Loop* raw = loop.get();
    // A stopped loop neither watches nor serves anything any more.
    if (!raw->post([raw, done, &task] {
          task(*raw);
          done->set_value();
        })) {
      done->set_value();
    }
  }
  for (auto& f : done_everywhere) f.wait();
}

HttpEdge::~HttpEdge() = default;

void HttpEdge::stop_accepting() {
  if (!accepting_) return;
  accepting_ = false;
  // Each loop stops watching the socket on its own thread; then it can close.
  on_every_loop([](Loop& loop) { loop.on_drain(); });
  listener_.reset();
}

}  // namespace sse
