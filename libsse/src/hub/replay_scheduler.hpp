#pragma once

// Replays the log to streams that resume (Last-Event-ID), on one thread of
// its own, a page at a time, skipping streams whose client has not read the
// last page yet: a long replay holds neither an HTTP worker nor the history,
// and a paused reader's queue stays within its byte bound (ReplayBudget).
// When a page reaches the newest routed event, StreamRegistry::feed_replay()
// makes the stream live in the same locked step and sends the caught-up
// comment with that page (see stream_registry.hpp). Every resuming stream gets
// at least one page, an empty one when nothing is left to replay, so every one
// gets the comment; an incomplete replay too.
//
// Ownership: owns its thread and its queue of jobs; the log, the registry and
// the metrics are borrowed and must outlive it.
//
// Thread safety: schedule() and stop() are thread-safe. Its mutex guards the
// job queue only and is never held while the log or the registry is called:
// it is a leaf in the hub's lock order.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "hub/stream_registry.hpp"
#include "sse/log/event_log.hpp"
#include "sse/metrics/metrics.hpp"

namespace sse::detail {

// How many bytes replays may keep waiting in stream queues: a page goes to a
// stream only while its own queue is at most half its bound and the total of
// every loop is within its bound, and a page is cut so that the queue stays
// within half its bound (one event at least): the other half is for what
// comes live.
struct ReplayBudget {
  uint64_t stream_bytes = 1 << 20;
  uint64_t total_bytes = uint64_t{256} << 20;
  std::function<uint64_t()> queued_total;  // bytes waiting in every stream now
};

class ReplayScheduler {
 public:
  ReplayScheduler(EventLog& log, StreamRegistry& registry, Metrics& metrics, ReplayBudget budget);
  ~ReplayScheduler();  // stop()
  ReplayScheduler(const ReplayScheduler&) = delete;
  ReplayScheduler& operator=(const ReplayScheduler&) = delete;

  // Starts the thread; fails (unavailable) when it cannot be made.
  Status start();

  struct Job {
    StreamId id = 0;
    Subscription subscription;  // the replay's filter: Subscription::accepts
    EventId after = 0;          // replay the events after this id
    std::shared_ptr<StreamStats> stats;
    // A log away for now (unavailable): not read again before this
    // (steady ms; 0: at once).
    int64_t not_before_ms = 0;
  };
  // Queues a replay. After stop() the job is dropped: its stream is closed
  // with its writer loop.
  void schedule(Job job);

  // Ends the thread after the page in progress; jobs left are dropped.
  // Idempotent.
  void stop();

 private:
  void run();
  bool ready(const Job& job) const;  // its client has read the last page
  bool step(Job& job);               // one page; false when the job is over

  EventLog& log_;
  StreamRegistry& registry_;
  Metrics& metrics_;
  const ReplayBudget budget_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sse::detail
