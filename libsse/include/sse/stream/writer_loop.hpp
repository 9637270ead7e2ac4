#pragma once

// A writer loop owns a share of the open streams: their sockets, their queues
// and their timers. One thread waits on epoll; other threads talk to it only by
// posting commands, so a stream's state is touched by exactly one thread and a
// slow client costs the server one bounded queue, never a blocked thread.
//
// Each stream's queue holds shared, already-encoded bytes (an event's wire form
// is encoded once for every stream it reaches); whatever is queued goes out in
// one writev per stream per wake-up.
//
// Timers (heartbeats, idle timeouts, token expiry, the drain deadline) run on
// the loop's clock. On the real clock the loop wakes by epoll's timeout; on an
// injected one (ManualClock) it sleeps until posted to or until the clock says
// it moved, and then looks at every timer again: tests move time, never wait.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "sse/event/event.hpp"
#include "sse/metrics/metrics.hpp"
#include "sse/stream/close_reason.hpp"
#include "sse/stream/socket_fd.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/result.hpp"

namespace sse {

using StreamId = uint64_t;
namespace detail {
struct Chunk;
}

// The live numbers of one stream, shared with the admin API. Written by the
// owning loop, read by anyone.
struct StreamStats {
  std::atomic<uint64_t> last_event_id{0};
  std::atomic<uint64_t> events_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> queued{0};        // chunks waiting: events, replayed events, heartbeats
  std::atomic<uint64_t> queued_bytes{0};  // their bytes not yet written
  // Replayed events posted to the loop and not yet queued: with `queued`,
  // what the hub paces a replay by. The bytes include the caught-up comment
  // of a last page (WriterLoop::post_replay).
  std::atomic<uint64_t> replay_in_flight{0};
  std::atomic<uint64_t> replay_in_flight_bytes{0};
};

struct WriterOptions {
  int64_t heartbeat_interval_ms = 30'000;  // > 0
  int64_t idle_timeout_ms = 300'000;       // 0 disables
  // Live chunks (events and heartbeats, not replayed events) a stream may have
  // waiting after its socket stopped taking bytes; one more disconnects it.
  size_t max_queued = 1024;
  // Bytes a stream may have waiting (replayed ones included) with more than
  // one chunk queued; past it, a live event disconnects it. 0: no bound.
  // (The hub keeps replays below it: ReplayScheduler.)
  size_t max_queued_bytes = 0;
};

// A stream registered with a loop. It is registered before its response
// headers go out, so that no event published after the client sees "200"
// can miss it; until post_connect() brings the socket, its queue only fills.
struct NewStream {
  StreamId id = 0;
  std::string preamble;       // written first ("retry: 3000\n\n")
  int64_t expires_at_ms = 0;  // wall-clock end of its token; 0 = never
  std::shared_ptr<StreamStats> stats;
};

// What else a loop's thread serves beside its streams: the HTTP edge's
// connections (libsse/src/server/http_edge.hpp), from accept until a request
// turns one into a stream on the same loop (adopt_stream). Every call comes on
// the loop's thread.
class LoopGuest {
 public:
  virtual ~LoopGuest() = default;
  // A descriptor the guest watches (WriterLoop::watch) is ready.
  virtual void on_ready(uint64_t tag, uint32_t events) = 0;
  // Once per wake-up, after the loop's own work: run due timers and return
  // when (steady ms) the guest next needs a call; INT64_MAX for never.
  virtual int64_t on_tick(int64_t now_steady_ms) = 0;
  // The loop began draining (drain_and_stop): finish what is in progress.
  virtual void on_drain() = 0;
  // Nothing left in progress: the loop may end once its streams are gone.
  virtual bool drained() const = 0;
  // The loop ends (drained, or its drain deadline passed): close everything.
  virtual void on_stop() = 0;
};

class WriterLoop {
 public:
  // Called on the loop's thread, never on a poster's, when a stream that was
  // added is closed (whatever the reason, shutdown included): after it left
  // the loop, before its socket closes, so that its client never sees the
  // close before the server's account of it is settled.
  using ClosedCallback = std::function<void(StreamId, CloseReason)>;

  // Starts a loop and its thread. Fails (unavailable when the process is out
  // of descriptors, memory or threads; internal otherwise) when its epoll
  // instance, its wake-up eventfd or its thread cannot be made. `clock` and
  // `metrics` must outlive the loop.
  static Result<std::unique_ptr<WriterLoop>> create(WriterOptions settings, const Clock& clock,
                                                    Metrics& metrics, ClosedCallback on_closed);
  ~WriterLoop();  // stops the thread and closes what is left
  WriterLoop(const WriterLoop&) = delete;
  WriterLoop& operator=(const WriterLoop&) = delete;

  // The post_* calls are thread-safe, never block on a client, and are applied
  // in the order they were posted. They return false, and do nothing, once
  // the loop has stopped: a stream refused that way is never reported closed.
  bool post_add(NewStream stream);
  // The stream's socket (response headers sent, taken from Poco with
  // SocketFd::take): the loop makes it non-blocking and owns it from here.
  // The socket of a stream that is already closed, or of a loop that has
  // stopped, is closed.
  bool post_connect(StreamId id, SocketFd socket);
  bool post_deliver(EventPtr event, std::vector<StreamId> targets);
  // Replayed events: written like delivered ones but not counted against
  // max_queued (the hub paces replays by StreamStats::queued). With
  // `caught_up` (the replay's last page) the caught-up comment
  // (wire::kCaughtUpFrame) is queued right after them. The poster counts the
  // page in StreamStats::replay_in_flight (its events) and
  // replay_in_flight_bytes (their wire bytes, and the comment's); the loop
  // takes the same figures off when it applies the post.
  bool post_replay(StreamId id, std::vector<EventPtr> events, bool caught_up = false);
  bool post_close(StreamId id, CloseReason reason);
  // Runs `task` on the loop's thread, in order with the other posts.
  bool post_task(std::function<void()> task);

  // The guest's side, on the loop's thread only (from a LoopGuest call or a
  // posted task). set_guest: `guest` (or null) must outlive its use.
  void set_guest(LoopGuest* guest) { guest_ = guest; }
  // epoll on `fd` for `events` (EPOLLIN, EPOLLOUT, ...); the guest is called
  // with `tag` (< 2^63). False when epoll refuses.
  bool watch(int fd, uint64_t tag, uint32_t events);
  bool rewatch(int fd, uint64_t tag, uint32_t events);
  void unwatch(int fd);
  // Turns a guest's connection into the stream `id` (added by post_add, on
  // this loop): `head` (the response head) goes out first, then what the
  // stream has queued. The socket must be non-blocking and no longer
  // watched by the guest. A stream that is already closed (kicked, shut
  // down) closes the socket.
  void adopt_stream(StreamId id, SocketFd socket, std::string head);
  // Closes the stream `id` now (its connection went away before it opened).
  void close_now(StreamId id, CloseReason reason) { close_stream(id, reason); }
  const Clock& clock() const { return clock_; }
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // Queues `farewell` on every stream, flushes until `deadline_steady_ms`,
  // closes every stream (reason kShutdown) and ends the thread. Nothing is
  // written to a stream after its farewell. Blocks.
  void drain_and_stop(std::string farewell, int64_t deadline_steady_ms);

  size_t stream_count() const { return stream_count_.load(std::memory_order_relaxed); }
  // Bytes waiting in all of this loop's streams, as of its last wake-up.
  uint64_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Connect {
    StreamId id;
    SocketFd socket;
  };
  struct Deliver {
    EventPtr event;
    std::vector<StreamId> targets;
  };
  struct Replay {
    StreamId id;
    std::vector<EventPtr> events;
    bool caught_up;
  };
  struct Close {
    StreamId id;
    CloseReason reason;
  };
  struct Drain {
    std::string farewell;
    int64_t deadline_ms;
  };
  using Task = std::function<void()>;
  using Command = std::variant<NewStream, Connect, Deliver, Replay, Close, Drain, Task>;
  struct Stream;

  WriterLoop(WriterOptions settings, const Clock& clock, Metrics& metrics,
             ClosedCallback on_closed);
  Status start();
  void wake();
  bool post(Command command);
  void run();
  void handle_ready(uint64_t tag, uint32_t events);
  void apply_inbox(std::vector<Command>& commands);
  void apply(Command& command);
  void finish();
  void add(NewStream& stream);
  void connect(Connect& connect);
  void attach_socket(Stream& stream, SocketFd socket);
  void deliver(const Deliver& deliver);
  void replay(Replay& replay);
  void start_drain(Drain& drain);
  void on_timers();
  void send_heartbeats();
  void close_expired();
  void flush(Stream& stream);
  void flush_dirty();
  void consume(Stream& stream, size_t written);
  void on_readable(Stream& stream);
  void close_stream(StreamId id, CloseReason reason);
  void set_want_write(Stream& stream, bool want);
  void mark_dirty(Stream& stream);
  void enqueue(Stream& stream, detail::Chunk chunk);
  bool over_bound(const Stream& stream) const;
  Stream* writable(StreamId id);  // open and not past its farewell, or null
  int next_timeout_ms() const;

  const WriterOptions settings_;
  const Clock& clock_;
  Metrics& metrics_;
  const ClosedCallback on_closed_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  // Set while the clock tells the loop when it moves (an injected clock):
  // the loop then has no timeout of its own.
  ClockWatch clock_watch_;
  std::atomic<bool> time_moved_{false};

  std::mutex inbox_mu_;
  std::vector<Command> inbox_;
  bool stopped_ = false;  // guarded by inbox_mu_

  // Loop-thread state.
  std::unordered_map<StreamId, std::unique_ptr<Stream>> streams_;
  std::vector<StreamId> dirty_;
  int64_t next_heartbeat_ms_ = 0;
  int64_t next_scan_ms_ = 0;
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  LoopGuest* guest_ = nullptr;
  int64_t guest_next_ms_ = INT64_MAX;
  std::atomic<size_t> stream_count_{0};
  uint64_t loop_queued_bytes_ = 0;  // loop thread; published in queued_bytes_
  std::atomic<uint64_t> queued_bytes_{0};

  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};  // set by the thread itself: read from anywhere
};

}  // namespace sse
