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

// The live numbers of one stream, shared with the admin API. Written by the
// owning loop, read by anyone.
struct StreamStats {
  std::atomic<uint64_t> last_event_id{0};
  std::atomic<uint64_t> events_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> queued{0};  // chunks waiting: events, replayed events, heartbeats
  // Replayed events posted to the loop and not yet queued: with `queued`,
  // what the hub paces a replay by.
  std::atomic<uint64_t> replay_in_flight{0};
};

struct WriterOptions {
  int64_t heartbeat_interval_ms = 30'000;  // > 0
  int64_t idle_timeout_ms = 300'000;       // 0 disables
  // Live chunks (events and heartbeats, not replayed events) a stream may have
  // waiting after its socket stopped taking bytes; one more disconnects it.
  size_t max_queued = 1024;
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

class WriterLoop {
 public:
  // Called on the loop's thread, never on a poster's, after a stream that was
  // added is closed (whatever the reason, shutdown included).
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
  // max_queued (the hub paces replays by StreamStats::queued).
  bool post_replay(StreamId id, std::vector<EventPtr> events);
  bool post_close(StreamId id, CloseReason reason);

  // Queues `farewell` on every stream, flushes until `deadline_steady_ms`,
  // closes every stream (reason kShutdown) and ends the thread. Nothing is
  // written to a stream after its farewell. Blocks.
  void drain_and_stop(std::string farewell, int64_t deadline_steady_ms);

  size_t stream_count() const { return stream_count_.load(std::memory_order_relaxed); }

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
  };
  struct Close {
    StreamId id;
    CloseReason reason;
  };
  struct Drain {
    std::string farewell;
    int64_t deadline_ms;
  };
  using Command = std::variant<NewStream, Connect, Deliver, Replay, Close, Drain>;
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
  std::atomic<size_t> stream_count_{0};

  std::thread thread_;
};

}  // namespace sse
