#pragma once

// The hub: appends published events to the log and routes each to the open
// streams whose subscription accepts it. It never blocks on a client:
// delivery is a post to a writer loop. Three parts, each with its own file
// and contract (libsse/src/hub/):
//
//   StreamRegistry   the open streams, the routing index (by user, room,
//                    entity type; one list for status) and the live routing
//   ReplayScheduler  its own thread: replays the log to resuming streams
//   ChatPresence     who is in which chat room ("user-joined"/"user-left")
//
// Ordering: the log calls back in id order and the hub routes in that
// callback, so each stream receives events in id order. A log shared by
// several nodes (Redis) routes through its feed instead, which brings every
// node's events in id order; a publish is answered when the feed has routed
// it (FeedAcks). A resuming stream is first fed from the log, page by page,
// up to the newest routed event, and only then joins live routing — the switch happens under the
// registry's lock, so no event falls between the two and none comes twice. The switch is marked on
// the stream by one comment, ": caught-up" (wire::kCaughtUpFrame), after the last replayed event
// and before the first live one.
//
// Threads and locks: the hub owns the writer loops (one thread each) and the
// replay thread; publish() runs on the caller's thread and routes on the
// log's callback thread. Lock order: log callback order -> registry ->
// writer-loop inbox; the append gate, the presence table and the replay queue
// are leaves. Thread-safe throughout.

#include <array>
#include <functional>
#include <memory>
#include <vector>

#include "sse/hub/pending_stream.hpp"
#include "sse/hub/stream_types.hpp"
#include "sse/hub/subscription.hpp"
#include "sse/log/event_log.hpp"
#include "sse/metrics/metrics.hpp"
#include "sse/stream/writer_loop.hpp"

namespace sse {

namespace detail {
class AppendGate;
class ChatPresence;
class FeedAcks;
class ReplayScheduler;
class StreamRegistry;
}  // namespace detail

struct HubOptions {
  size_t writer_threads = 2;  // 0 is taken as 1
  WriterOptions writer;
  // Replays wait while every stream's queues together hold more bytes.
  uint64_t max_queued_bytes_total = uint64_t{256} << 20;
  // The first stream id; a node of a cluster starts at its own range, so
  // that stream ids are unique across the cluster.
  StreamId first_stream_id = 1;
  // Shared logs: a stream resuming from an id this node's feed has not yet
  // routed waits this long for it (then the open fails: unavailable).
  int64_t feed_catch_up_ms = 2000;
  // Called (on the opening or closing thread, no lock held) after a stream
  // opened or closed; may be empty.
  std::function<void()> on_streams_changed{};
};

class Hub {
 public:
  // Starts the writer loops and the replay thread. Fails (unavailable when
  // the process is out of descriptors or threads) when one cannot start.
  // `log`, `metrics` and `clock` must outlive the hub.
  static Result<std::unique_ptr<Hub>> create(HubOptions settings, EventLog& log, Metrics& metrics,
                                             const Clock& clock);
  // Refuses new appends and waits for those in flight (their callbacks use
  // the hub), then stops the replay thread and the writer loops.
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct Published {
    EventPtr event;
    size_t delivered = 0;  // live streams whose writer loop took it
  };
  // Appends to the log and, once the event is durable, routes it. Blocks
  // until routed. Fails (unavailable) once shutdown() has begun, or when the
  // log refuses. An event acknowledged here reaches its streams before their
  // farewell.
  Result<Published> publish(const EventDraft& draft);
  // As publish(), without waiting: `done` gets the outcome once the event is
  // durable and routed (or the log refused it), on this thread or the log's.
  // False, and `done` is never called, once shutdown() has begun.
  bool publish_async(const EventDraft& draft, std::function<void(Result<Published>)> done);

  // Registers a stream (for live routing, or a replay first when it resumes)
  // and returns the handle that hands over its socket; see pending_stream.hpp.
  // Call it before sending the response headers. Fails (unavailable) once
  // shutdown() has begun. With a shared log, a stream resuming from an id
  // this node's feed has not routed yet waits for it (at most
  // HubOptions::feed_catch_up_ms; then unavailable): it may block.
  Result<PendingStream> open(StreamRequest request);

  // The writer loops, by index (StreamRequest::loop): the HTTP edge serves
  // its connections on them. Valid until the hub is destroyed.
  std::vector<WriterLoop*> loops() const;

  std::vector<StreamSnapshot> streams() const;
  // Closes a stream; false when no such stream is open.
  bool kick(StreamId id);
  std::array<uint64_t, kChannelCount> open_streams() const;
  // The newest event routed to the streams (at start, the log's head; 0 for
  // an empty log). A stream resuming from it misses nothing and is replayed
  // nothing; an event whose publish() has returned is at or below it.
  EventId last_event_id() const;
  uint64_t queued_total() const;        // chunks waiting in every stream's queue
  uint64_t queued_bytes_total() const;  // their bytes, as of each loop's last wake-up

  // Refuses new streams and publishes, waits for appends in flight, sends
  // `farewell` on every stream, flushes until the deadline, closes all.
  void shutdown(const std::string& farewell, int64_t deadline_steady_ms);

 private:
  friend class PendingStream;

  Hub(EventLog& log, Metrics& metrics, const Clock& clock);
  Status start(const HubOptions& settings);

  // PendingStream's two ends.
  void connect(StreamId id, SocketFd socket);
  void abandon(StreamId id);

  void on_closed(StreamId id);  // a writer loop's thread
  void let_go(const Subscription& subscription, const StreamOwner& owner,
              ConnectionLimiter::Ticket& ticket);
  // Appends; once durable, routes and calls `done` (may be empty) on the
  // log's callback thread. False, and nothing appended, after shutdown began.
  bool append_and_route(const EventDraft& draft, std::function<void(Result<Published>)> done);
  void announce_presence(const Subscription& subscription, const StreamOwner& owner, bool joined);
  // Shared logs: the feed's event, routed here.
  void on_feed(const EventPtr& event);
  // Shared logs: a stream resuming from `after` waits until the feed has
  // routed it, unless `after` is from another life of the log.
  Status catch_up(EventId after);
  // Ends the feed (shared logs), answering the publishes it did not bring
  // back, after waiting up to `wait_ms` for those in flight.
  void stop_feed(int64_t wait_ms);

  EventLog& log_;
  Metrics& metrics_;
  const Clock& clock_;
  std::unique_ptr<detail::AppendGate> appends_;
  std::unique_ptr<detail::ChatPresence> presence_;
  std::vector<std::unique_ptr<WriterLoop>> loops_;
  std::unique_ptr<detail::StreamRegistry> registry_;
  std::unique_ptr<detail::ReplayScheduler> replays_;
  std::unique_ptr<detail::FeedAcks> feed_acks_;  // shared logs only
  int64_t feed_catch_up_ms_ = 2000;
  std::function<void()> on_streams_changed_;
};

}  // namespace sse
