#pragma once

// The registry of open streams and the router of live events to them.
//
// Ownership: the registry owns one entry per open stream (owner, stats,
// connection-limiter ticket, routing index record) from add() until retire()
// or abandon() takes it out; it does not own the writer loops it posts to,
// nor the sockets (the loops own those).
//
// Thread safety: every method is thread-safe, under one mutex. Routing,
// registration, the replay hand-over and connect() post to the writer loops
// while holding it, so the loops see those commands in the order they were
// decided: a replay's last page goes in before the stream's first live event.
//
// Lock order: the event log's callback order (the log holds it while it calls
// back) -> this mutex -> WriterLoop's inbox mutex. Nothing here calls the log,
// the replay scheduler or the presence table, and the loops never call back
// into the registry while a post is in progress.

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "hub/routing_index.hpp"
#include "sse/hub/stream_types.hpp"
#include "sse/log/event_log.hpp"

namespace sse::detail {

class StreamRegistry {
 public:
  // `loops` (at least one) must outlive the registry. `routed_up_to` is the
  // newest event that is not news to streams opening now (the log's head).
  StreamRegistry(std::vector<WriterLoop*> loops, EventId routed_up_to, StreamId first_id = 1);
  StreamRegistry(const StreamRegistry&) = delete;
  StreamRegistry& operator=(const StreamRegistry&) = delete;

  struct Added {
    StreamId id = 0;
    std::shared_ptr<StreamStats> stats;
    // Set when the stream resumes: replay the log after this id (0: all of
    // it, for an id from another life of the log); it is not live until
    // feed_replay() says so.
    std::optional<EventId> replay_after;
  };
  // Gives the stream an id and a writer loop, and makes it live (or, when it
  // resumes, waiting for its replay). The owner's user id is taken to be the
  // subscription's (the registry keeps that one copy). Fails (unavailable)
  // after refuse_new() or once its loop has stopped; the request, ticket
  // included, is dropped.
  Result<Added> add(StreamRequest request, int64_t now_ms);
  // From now on add() fails.
  void refuse_new();

  // Posts `event` to every live stream that accepts it. Returns how many
  // streams it went to: those whose writer loop took it (a stopped loop
  // takes nothing). Call in log order.
  size_t route(const EventPtr& event);
  // The newest event routed so far.
  EventId routed_up_to() const;

  enum class ReplayFed {
    kGone,  // the stream is closed: the replay is over, nothing was posted
    kMore,  // the page was posted; more pages follow
    kLive,  // the page was posted and the stream caught up: it is live now
  };
  // Posts one replay page. When the page finished the scan up to the newest
  // routed event (an empty page too: nothing was left to replay), the page
  // carries the caught-up comment (wire::kCaughtUpFrame) and the stream joins
  // live routing in the same locked step, so the comment comes once, after
  // the last replayed event and before the first live one.
  ReplayFed feed_replay(StreamId id, ReplayPage page);

  // Hands the stream's socket to its writer loop; false (and the socket is
  // closed) when the stream is no longer registered.
  bool connect(StreamId id, SocketFd socket);
  // Asks the stream's loop to close it; false when no such stream is open.
  // The entry stays until the loop reports it closed (retire()).
  bool close(StreamId id, CloseReason reason);

  // What the registry held for a stream it let go of.
  struct Retired {
    Subscription subscription;
    StreamOwner owner;
    ConnectionLimiter::Ticket ticket;
  };
  // Takes the stream out (the loop has closed it); nullopt when it was
  // already out.
  std::optional<Retired> retire(StreamId id);
  // Takes the stream out and asks its loop to drop it (its response was
  // never sent); nullopt when it was already out.
  std::optional<Retired> abandon(StreamId id);

  std::vector<StreamSnapshot> snapshots() const;  // ordered by id
  std::array<uint64_t, kChannelCount> open_by_channel() const;
  uint64_t queued_total() const;  // chunks waiting in every stream's queue

 private:
  // One per open stream, so kept lean: the owner's user id is not stored
  // twice (it is the subscription's).
  struct Entry : RoutedStream {
    std::string username;
    std::string remote_address;
    int64_t connected_at_ms = 0;
    std::shared_ptr<StreamStats> stats;
    ConnectionLimiter::Ticket ticket;

    StreamOwner owner() const { return {subscription.user_id, username, remote_address}; }
  };
  Entry* find(StreamId id);  // mu_ held
  std::optional<Retired> take(StreamId id, bool drop_from_loop);

  const std::vector<WriterLoop*> loops_;
  mutable std::mutex mu_;
  // By value: a node's address is stable, and the index points into it.
  std::unordered_map<StreamId, Entry> entries_;
  RoutingIndex index_;
  // route()'s per-loop lists (one per loop), kept so that an event nobody
  // listens to costs no allocation.
  std::vector<std::vector<StreamId>> targets_;
  std::array<uint64_t, kChannelCount> open_by_channel_{};
  EventId routed_up_to_ = 0;  // every event up to here went to the live streams open then
  StreamId next_id_ = 1;
  size_t next_loop_ = 0;
  bool refusing_ = false;
};

}  // namespace sse::detail
