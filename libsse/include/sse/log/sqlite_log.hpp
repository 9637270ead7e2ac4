#pragma once

// The durable event log: SQLite in WAL mode (Poco::Data::SQLite; the writer's
// commit runs statements prepared once, through SQLite's C API).
//
// Appends are group-committed: a writer thread takes every append waiting at
// that moment, assigns their ids, inserts them in one transaction and only
// then calls each one back, so a publisher is answered only once its event is
// on disk. With history.sync = "full" (the default) each commit is fsynced
// before anyone is answered, so an acknowledged event survives an OS crash
// or a power cut; "normal" syncs only at checkpoints (faster, and it survives a
// process crash, but a power cut may roll back the last acknowledged commits). Ids keep increasing
// across restarts (AUTOINCREMENT remembers the largest id ever used, even after
// pruning). Retention (max_events, max_age) is enforced in the background.

#include <atomic>
#include <memory>
#include <string>

#include "sse/log/append_batcher.hpp"
#include "sse/log/event_log.hpp"
#include "sse/log/memory_log.hpp"
#include "sse/util/clock.hpp"

namespace sse {

enum class SqliteSync { kFull, kNormal };

struct SqliteLogOptions {
  std::string path;  // created (with its directory) when missing
  SqliteSync sync = SqliteSync::kFull;
  RetentionPolicy retention;
  int64_t prune_interval_ms = 10'000;
  size_t max_batch = 1024;  // appends per transaction at most
};

class SqliteEventLog final : public EventLog {
 public:
  // Opens or creates the database. A file that is not a readable SQLite
  // database of this schema is an error naming the file, never an empty log.
  static Result<std::unique_ptr<SqliteEventLog>> open(SqliteLogOptions options, const Clock& clock);
  ~SqliteEventLog() override;  // commits what is pending, then stops
  SqliteEventLog(const SqliteEventLog&) = delete;
  SqliteEventLog& operator=(const SqliteEventLog&) = delete;

  void append(const EventDraft& draft, AppendCallback done) override;
  Result<ReplayPage> replay(EventId after, EventId up_to, const EventFilter& filter,
                            size_t max_events) const override;
  bool covers(EventId after) const override;
  EventId head() const override { return head_.load(); }
  size_t size() const override { return size_.load(); }

  // Runs retention now (the background pass calls this). Thread-safe.
  void prune();

 private:
  struct Impl;
  struct Rows;
  SqliteEventLog(std::unique_ptr<Impl> impl, SqliteLogOptions options, const Clock& clock);
  void commit(AppendBatcher::Batch& batch);
  std::vector<Result<EventPtr>> seal_batch(const AppendBatcher::Batch& batch) const;
  Status insert_events(const std::vector<Result<EventPtr>>& sealed);
  // replay() without the error handling: throws Poco's exceptions.
  ReplayPage read_page(EventId after, EventId up_to, const EventFilter& filter,
                       size_t max_events) const;

  std::unique_ptr<Impl> impl_;
  const SqliteLogOptions options_;
  const Clock& clock_;

  // Written under Impl::writer_mu; read without it.
  std::atomic<EventId> head_{0};
  std::atomic<EventId> first_id_{1};  // oldest id held (head_ + 1 when empty)
  std::atomic<size_t> size_{0};

  AppendBatcher batcher_;  // last: its thread stops first
};

}  // namespace sse
