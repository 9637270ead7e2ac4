#pragma once

// The event log several nodes share: a Redis Stream (Poco::Redis).
//
// Keys (every one under the configured prefix, "sse:" by default):
//   <prefix>events       the stream; entry id "<event id>-0", fields c (channel),
//                        t (type), d (data), u/r/e (audience), ms (time)
//   <prefix>events:seq   the last event id given out (INCR)
// One Lua script assigns the id (INCR) and appends the entry (XADD with an
// approximate MAXLEN of history.max_events), so ids increase across the
// whole cluster and survive any node's restart; the event's payload, which
// carries its id, is rendered by the node and completed by the script.
//
// Appends are pipelined: a writer thread sends every append waiting at that
// moment in one round trip and calls each one back after Redis has answered
// (acknowledged means stored in Redis). While Redis cannot be reached every
// append fails at once with Error::unavailable; nothing is queued for later.
//
// The feed is a reader thread on a connection of its own, blocked in XREAD;
// it reconnects with backoff when Redis goes away and goes on from the last
// id it delivered, so the events appended meanwhile (by nodes that could
// still reach Redis) are delivered when it returns. Age retention
// (history.max_age) runs on the writer thread every prune interval.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sse/config/redis_url.hpp"
#include "sse/log/append_batcher.hpp"
#include "sse/log/event_log.hpp"
#include "sse/log/memory_log.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/logger.hpp"

namespace sse {

namespace redis {
class Link;
}  // namespace redis

struct RedisLogOptions {
  RedisTarget redis;
  RetentionPolicy retention;
  int64_t prune_interval_ms = 10'000;
  int64_t block_ms = 200;  // one XREAD wait: how soon the reader notices stop_feed
  size_t max_batch = 256;  // appends per round trip at most
};

class RedisEventLog final : public EventLog {
 public:
  // Connects, checks the server (Redis >= 6.2, for XTRIM MINID) and reads
  // the newest id. Fails with a message naming the URL when Redis cannot be
  // reached or refuses (a wrong password).
  static Result<std::unique_ptr<RedisEventLog>> open(RedisLogOptions options, const Clock& clock,
                                                     Logger& logger);
  ~RedisEventLog() override;  // answers what is pending, stops both threads
  RedisEventLog(const RedisEventLog&) = delete;
  RedisEventLog& operator=(const RedisEventLog&) = delete;

  void append(const EventDraft& draft, AppendCallback done) override;
  Result<ReplayPage> replay(EventId after, EventId up_to, const EventFilter& filter,
                            size_t max_events) const override;
  bool covers(EventId after) const override;
  EventId head() const override { return head_.load(); }
  Result<EventId> newest_id() const override;
  size_t size() const override;

  bool shared() const override { return true; }
  void start_feed(FeedCallback on_event) override;
  void stop_feed() override;
  bool available() const override { return writer_up_.load() && reader_up_.load(); }
  uint64_t reconnects() const override { return reconnects_.load(); }

 private:
  struct Links;
  RedisEventLog(RedisLogOptions options, const Clock& clock, Logger& logger);
  Status init();
  void send_batch(AppendBatcher::Batch& batch);
  // Age retention (history.max_age), on the writer thread.
  void prune();
  void feed_loop(EventId after, const FeedCallback& on_event);
  // After an outage: the sequence is raised to at least `seen` (the newest
  // id this node knows of), in case Redis came back with less.
  Status raise_sequence(redis::Link& link, EventId seen);
  // head_ = max(head_, id): the writer and the feed both see new ids.
  void raise_head(EventId id);
  // Reconnects `link` before its next command if Redis went away since
  // `*seen` (outages_).
  void refresh_after_outage(redis::Link& link, uint64_t* seen) const;
  // The reader's or writer's link changed state: logs and counts it once.
  void note_link(std::atomic<bool>& up, bool now_up, const std::string& who,
                 const std::string& detail);

  const RedisLogOptions options_;
  const Clock& clock_;
  Logger& logger_;
  const std::string stream_key_;
  const std::string seq_key_;
  std::unique_ptr<Links> links_;

  std::atomic<EventId> head_{0};
  std::atomic<bool> writer_up_{true};
  std::atomic<bool> reader_up_{true};
  std::atomic<uint64_t> reconnects_{0};
  // Times the reader lost Redis or found it again. The other links start
  // afresh (a new connection, no fail-fast left from the outage) when it has
  // changed since their last use: they may have sat idle through an outage
  // on a connection the old server closed, and a command sent on such a
  // connection fails without having run.
  std::atomic<uint64_t> outages_{0};
  mutable std::atomic<size_t> size_{0};

  std::mutex feed_mu_;
  std::condition_variable feed_cv_;
  bool feed_stopping_ = false;
  std::thread reader_;
  AppendBatcher batcher_;  // last: its thread stops first
};

}  // namespace sse
