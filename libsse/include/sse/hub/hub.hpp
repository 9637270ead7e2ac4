#pragma once

// The hub: appends published events to the log and routes each to the open
// streams whose subscription accepts it; keeps the registry of open streams
// (for limits, presence and the admin API); spreads streams over the writer
// loops. It never blocks on a client: delivery is a post to a writer loop.

#include <atomic>
#include <condition_variable>
#include <deque>
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
  size_t writer_threads = 2;
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

class Hub {
 public:
  Hub(HubSettings settings, EventLog& log, Metrics& metrics, const Clock& clock);
  ~Hub();  // drains nothing: call shutdown() first for a graceful end
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct Published {
    EventPtr event;
    size_t delivered = 0;  // live streams it was routed to
  };
  // Appends to the log and, once the event is durable, routes it. Routing
  // happens in id order (the log calls back in order), so every stream
  // receives its events in order. Blocks until routed. Thread-safe.
  Result<Published> publish(const EventDraft& draft);

  // Registers the stream for live events, then replays the log up to the
  // head it saw, so nothing falls between replay and live and nothing comes
  // twice. Call it before sending the response headers: every event published
  // after the client sees "200" reaches it. Events queue until connect().
  // Returns the stream's id. Thread-safe.
  StreamId attach(StreamRequest request);
  // Hands over the stream's socket (headers sent, detached from Poco).
  void connect(StreamId id, Poco::Net::StreamSocket socket);
  // Drops a stream whose response could not be sent.
  void abandon(StreamId id);

  std::vector<StreamSnapshot> streams() const;
  // Closes a stream; false when no such stream is open.
  bool kick(StreamId id);
  std::array<uint64_t, kChannelCount> open_streams() const;
  uint64_t open_total() const;

  // Sends `farewell` on every stream, flushes until the deadline, closes all.
  // Publishing after this is refused.
  void shutdown(const std::string& farewell, int64_t deadline_steady_ms);

 private:
  struct Entry {
    Subscription subscription;
    StreamOwner owner;
    size_t loop = 0;
    int64_t connected_at_ms = 0;
    std::shared_ptr<StreamStats> stats;
    ConnectionLimiter::Ticket ticket;
  };

  struct ReplayJob {
    StreamId id;
    Subscription subscription;
    EventId after;
    EventId up_to;
    std::shared_ptr<StreamStats> stats;
  };

  size_t route(const EventPtr& event);  // mu_ held
  // Appends; once durable, routes and calls `done` (may be empty) on the
  // log's callback thread.
  void append_and_route(const EventDraft& draft, std::function<void(Result<Published>)> done);
  void replay_loop();
  void on_closed(StreamId id, CloseReason reason);
  void announce_presence(const Subscription& sub, const StreamOwner& owner, bool joined);

  EventLog& log_;
  Metrics& metrics_;
  const Clock& clock_;
  std::vector<std::unique_ptr<WriterLoop>> loops_;

  mutable std::mutex mu_;  // publish order, the registry and presence
  std::unordered_map<StreamId, Entry> entries_;
  std::array<uint64_t, kChannelCount> open_by_channel_{};
  std::unordered_map<std::string, size_t> presence_;  // "room\nuser" -> open chat streams
  EventId last_routed_ = 0;  // every event up to here went to the streams open then
  StreamId next_id_ = 1;
  size_t next_loop_ = 0;
  std::atomic<bool> shutting_down_{false};

  // Replays run on one thread, page by page, and wait while a stream's queue
  // is full: a long replay neither holds an HTTP worker nor the whole history.
  std::mutex replay_mu_;
  std::condition_variable replay_cv_;
  std::deque<ReplayJob> replay_jobs_;
  bool replay_stop_ = false;
  std::thread replay_thread_;
};

}  // namespace sse
