#pragma once

// The hub: appends published events to the log and routes each to the open
// streams whose subscription accepts it; keeps the registry of open streams
// (for limits, presence and the admin API); spreads streams over the writer
// loops; replays the log to streams that resume. It never blocks on a client:
// delivery is a post to a writer loop.
//
// Ordering: the log calls back in id order and the hub routes in that
// callback, so each stream receives events in id order. A resuming stream is
// first fed from the log, page by page, up to the newest routed event, and only
// then joins live routing — the switch happens under the hub's mutex, so no
// event falls between the two and none comes twice.

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sse/hub/subscription.hpp"
#include "sse/limits/connection_limiter.hpp"
#include "sse/log/event_log.hpp"
#include "sse/metrics/metrics.hpp"
#include "sse/stream/writer_loop.hpp"

namespace sse {

// Who is on a stream, for the admin API. Fixed when the stream opens.
struct StreamOwner {
  std::string user_id;
  std::string username;
  std::string remote_address;
};

// One open stream as the admin API shows it.
struct StreamSnapshot {
  StreamId id = 0;
  StreamOwner owner;
  Channel channel = Channel::kStatus;
  std::string room;
  int64_t connected_at_ms = 0;
  uint64_t last_event_id = 0;
  uint64_t events_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t queued = 0;
};

struct HubSettings {
  size_t writer_threads = 2;  // 0 is taken as 1
  WriterSettings writer;
};

// A stream about to open: admitted, its response not yet sent.
struct StreamRequest {
  Subscription subscription;
  StreamOwner owner;
  ConnectionLimiter::Ticket ticket;     // its place under the connection limits
  std::optional<EventId> resume_after;  // Last-Event-ID
  int64_t expires_at_ms = 0;            // token expiry (wall clock), 0 = never
  std::string preamble;                 // "retry: …\n\n"
};

struct Attached {
  StreamId id = 0;
  // False when events after the resume point were already pruned (or the id
  // is not one the log gave out): the client has lost events.
  bool replay_complete = true;
};

class Hub {
 public:
  // `log` must outlive the hub.
  Hub(HubSettings settings, EventLog& log, Metrics& metrics, const Clock& clock);
  // Waits for appends still in flight (their callbacks use the hub), then
  // stops the replay thread and the writer loops.
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct Published {
    EventPtr event;
    size_t delivered = 0;  // live streams it was routed to
  };
  // Appends to the log and, once the event is durable, routes it. Blocks
  // until routed; fails after shutdown() or when the log refuses. Thread-safe.
  Result<Published> publish(const EventDraft& draft);

  // Registers the stream (live routing, or a replay first when it resumes).
  // Call it before sending the response headers: every event published after
  // the client sees "200" reaches it. Events queue until connect(). Fails
  // after shutdown(). Thread-safe.
  Result<Attached> attach(StreamRequest request);
  // Hands over the stream's socket (headers sent, detached from Poco). The
  // socket of a stream that is already closed is closed.
  void connect(StreamId id, Poco::Net::StreamSocket socket);
  // Drops a stream whose response could not be sent.
  void abandon(StreamId id);

  std::vector<StreamSnapshot> streams() const;
  // Closes a stream; false when no such stream is open.
  bool kick(StreamId id);
  std::array<uint64_t, kChannelCount> open_streams() const;
  uint64_t queued_total() const;  // chunks waiting in every stream's queue

  // Refuses new streams and publishes, waits for appends in flight, sends
  // `farewell` on every stream, flushes until the deadline, closes all.
  void shutdown(const std::string& farewell, int64_t deadline_steady_ms);

 private:
  struct Entry {
    Subscription subscription;
    StreamOwner owner;
    size_t loop = 0;
    int64_t connected_at_ms = 0;
    std::shared_ptr<StreamStats> stats;
    ConnectionLimiter::Ticket ticket;
    bool replaying = false;  // fed by the replay thread, not by live routing
  };
  struct ReplayJob {
    StreamId id;
    Subscription subscription;
    EventId after;
    std::shared_ptr<StreamStats> stats;
  };

  size_t route(const EventPtr& event);  // mu_ held
  // Appends; once durable, routes and calls `done` (may be empty) on the
  // log's callback thread. Counted in flight until `done` returns.
  void append_and_route(const EventDraft& draft, std::function<void(Result<Published>)> done);
  void wait_for_appends();
  void replay_loop();
  bool replay_step(ReplayJob& job);  // false when the job is finished
  void on_closed(StreamId id, CloseReason reason);
  void announce_presence(const Subscription& sub, const StreamOwner& owner, bool joined);

  EventLog& log_;
  Metrics& metrics_;
  const Clock& clock_;
  std::vector<std::unique_ptr<WriterLoop>> loops_;

  // Guards the registry, presence, last_routed_ and shutting_down_.
  mutable std::mutex mu_;
  std::unordered_map<StreamId, Entry> entries_;
  std::array<uint64_t, kChannelCount> open_by_channel_{};
  std::unordered_map<std::string, size_t> presence_;  // "room\nuser" -> open chat streams
  EventId last_routed_ = 0;  // every event up to here went to the live streams open then
  StreamId next_id_ = 1;
  size_t next_loop_ = 0;
  bool shutting_down_ = false;

  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  size_t appends_in_flight_ = 0;

  // Replays run on one thread, a page at a time, skipping streams whose queue
  // is still full: a long replay holds neither an HTTP worker nor the history.
  std::mutex replay_mu_;
  std::condition_variable replay_cv_;
  std::deque<ReplayJob> replay_jobs_;
  bool replay_stop_ = false;
  std::thread replay_thread_;
};

}  // namespace sse
