#include "sse/log/sqlite_log.hpp"

#include <filesystem>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <fmt/format.h>

namespace sse {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;

constexpr int kSchemaVersion = 1;
// A replay call reads at most this many rows before it returns a page, so a
// filter that rejects most events still yields the thread now and then.
constexpr size_t kMaxRowsScanned = 4096;

void register_sqlite_once() {
  static const bool registered = [] {
    Poco::Data::SQLite::Connector::registerConnector();
    return true;
  }();
  (void)registered;
}

Session open_session(const std::string& path) {
  Session session("SQLite", path);
  session << "PRAGMA busy_timeout = 5000", now;
  return session;
}

}  // namespace

// The columns of a batch or page of rows, bound in bulk.
struct SqliteEventLog::Rows {
  std::vector<Poco::Int64> id;
  std::vector<int> channel;
  std::vector<std::string> type, data, user_id, room, entity_type;
  std::vector<Poco::Int64> time_ms;
};

struct SqliteEventLog::Impl {
  explicit Impl(const std::string& db_path)
      : path(db_path), writer(open_session(db_path)), reader(open_session(db_path)) {}
  std::string path;
  Session writer;  // the writer thread's (and prune's, under prune_mu)
  std::mutex writer_mu;
  mutable Session reader;
  mutable std::mutex reader_mu;
};

namespace {

// A damaged or foreign file fails here, loudly, instead of becoming an empty log.
Status check_file(Session& s, const std::string& path) {
  std::string check;
  s << "PRAGMA quick_check", into(check), now;
  if (check != "ok") {
    return Error::corruption(
        fmt::format("history.path: '{}' is damaged (quick_check: {})", path, check));
  }
  int version = 0;
  s << "PRAGMA user_version", into(version), now;
  if (version != 0 && version != kSchemaVersion) {
    return Error::corruption(
        fmt::format("history.path: '{}' has schema version {}, this build reads {}", path, version,
                    kSchemaVersion));
  }
  return {};
}

// The durability of a commit (SQLite's synchronous pragma, per connection):
// FULL syncs the WAL on every commit, NORMAL only at checkpoints.
const char* synchronous_pragma(SqliteSync sync) {
  return sync == SqliteSync::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
}

void create_schema(Session& s) {
  std::string mode;
  s << "PRAGMA journal_mode = WAL", into(mode), now;
  s << "CREATE TABLE IF NOT EXISTS events ("
       " id INTEGER PRIMARY KEY AUTOINCREMENT,"
       " channel INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,"
       " user_id TEXT NOT NULL, room TEXT NOT NULL, entity_type TEXT NOT NULL,"
       " time_ms INTEGER NOT NULL)",
      now;
  s << "CREATE INDEX IF NOT EXISTS events_time ON events(time_ms)", now;
  s << fmt::format("PRAGMA user_version = {}", kSchemaVersion), now;
}

struct Bounds {
  EventId head = 0;   // the largest id ever used (AUTOINCREMENT remembers pruned ones)
  EventId first = 1;  // the oldest id held, head + 1 when empty
  size_t count = 0;
};

Bounds read_bounds(Session& s) {
  Poco::Int64 max_id = 0, min_id = 0, count = 0, sequence = 0;
  s << "SELECT IFNULL(MAX(id), 0), IFNULL(MIN(id), 0), COUNT(*) FROM events", into(max_id),
      into(min_id), into(count), now;
  s << "SELECT IFNULL(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'events'", into(sequence), now;
  Bounds bounds;
  bounds.head = static_cast<EventId>(std::max(max_id, sequence));
  bounds.first = count > 0 ? static_cast<EventId>(min_id) : bounds.head + 1;
  bounds.count = static_cast<size_t>(count);
  return bounds;
}

}  // namespace

Result<std::unique_ptr<SqliteEventLog>> SqliteEventLog::open(SqliteLogOptions options,
                                                             const Clock& clock) {
  register_sqlite_once();
  const std::string path = options.path;
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Error::io_error(fmt::format("history.path: cannot create the directory '{}': {}",
                                       parent.string(), ec.message()));
  }
  try {
    auto impl = std::make_unique<Impl>(path);
    if (Status ok = check_file(impl->writer, path); !ok) return ok.error();
    create_schema(impl->writer);
    impl->writer << synchronous_pragma(options.sync), now;
    const Bounds bounds = read_bounds(impl->writer);
    auto log = std::unique_ptr<SqliteEventLog>(
        new SqliteEventLog(std::move(impl), std::move(options), clock));
    log->head_ = bounds.head;
    log->first_id_ = bounds.first;
    log->size_ = bounds.count;
    log->prune();
    SqliteEventLog* raw = log.get();
    raw->batcher_.start([raw](AppendBatcher::Batch& batch) { raw->commit(batch); },
                        [raw] { raw->prune(); });
    return log;
  } catch (const Poco::Exception& e) {
    return Error::corruption(fmt::format("history.path: '{}' is not a usable SQLite database: {}",
                                         path, e.displayText()));
  }
}

SqliteEventLog::SqliteEventLog(std::unique_ptr<Impl> impl, SqliteLogOptions options,
                               const Clock& clock)
    : impl_(std::move(impl)),
      options_(std::move(options)),
      clock_(clock),
      batcher_(options_.max_batch, options_.prune_interval_ms) {}

SqliteEventLog::~SqliteEventLog() { batcher_.stop(); }

void SqliteEventLog::append(const EventDraft& draft, AppendCallback done) {
  batcher_.append(draft, std::move(done));
}

// Seals each draft (a draft that fails, or throws, gets its error and no id)
// and lays the sealed events out as columns.
std::vector<Result<EventPtr>> SqliteEventLog::seal_batch(const AppendBatcher::Batch& batch,
                                                         Rows& rows) const {
  const int64_t now_ms = clock_.now_ms();
  std::vector<Result<EventPtr>> sealed;
  sealed.reserve(batch.size());
  EventId next = head_.load() + 1;
  for (const AppendBatcher::Pending& p : batch) {
    Result<EventPtr> event = seal_event(p.draft, next, now_ms);
    if (event) {
      const Event& e = **event;
      rows.id.push_back(static_cast<Poco::Int64>(e.id));
      rows.channel.push_back(static_cast<int>(e.channel));
      rows.type.push_back(e.type);
      rows.data.push_back(e.data);
      rows.user_id.push_back(e.audience.user_id);
      rows.room.push_back(e.audience.room);
      rows.entity_type.push_back(e.audience.entity_type);
      rows.time_ms.push_back(e.time_ms);
      ++next;
    }
    sealed.push_back(std::move(event));
  }
  return sealed;
}

// Inserts the rows in one transaction, with the count bound applied in the
// same transaction; updates head/size/first under the writer lock. Nothing
// changes when it fails.
Status SqliteEventLog::insert_rows(Rows& rows) {
  if (rows.id.empty()) return {};
  std::lock_guard lock(impl_->writer_mu);
  Session& s = impl_->writer;
  const EventId head = static_cast<EventId>(rows.id.back());
  const size_t max_events = std::max<size_t>(options_.retention.max_events, 1);
  const EventId first = first_id_.load() == head_.load() + 1 ? static_cast<EventId>(rows.id.front())
                                                             : first_id_.load();
  // Ids held are consecutive (a failed commit uses none up), so the count is
  // arithmetic; the bound is enforced with a little slack to batch deletes.
  const size_t slack = max_events / 100;
  const bool trim = head - first + 1 > max_events + slack;
  const EventId keep_from = trim ? head - max_events + 1 : first;
  try {
    s.begin();
    s << "INSERT INTO events (id, channel, type, data, user_id, room, entity_type, time_ms)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        use(rows.id), use(rows.channel), use(rows.type), use(rows.data), use(rows.user_id),
        use(rows.room), use(rows.entity_type), use(rows.time_ms), now;
    if (trim) {
      Poco::Int64 below = static_cast<Poco::Int64>(keep_from);
      s << "DELETE FROM events WHERE id < ?", use(below), now;
    }
    s.commit();
  } catch (const Poco::Exception& e) {
    try {
      s.rollback();
    } catch (...) {
    }
    return Error::io_error(
        fmt::format("the event log could not store the event: {}", e.displayText()));
  }
  first_id_ = keep_from;
  head_ = head;
  size_ = static_cast<size_t>(head - keep_from + 1);
  return {};
}

void SqliteEventLog::commit(AppendBatcher::Batch& batch) {
  Rows rows;
  std::vector<Result<EventPtr>> sealed = seal_batch(batch, rows);
  const Status stored = insert_rows(rows);
  // Callbacks in id order, after the commit.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!stored && sealed[i]) {
      batch[i].done(stored.error());
    } else {
      batch[i].done(std::move(sealed[i]));
    }
  }
}

void SqliteEventLog::prune() {
  const RetentionPolicy& policy = options_.retention;
  std::lock_guard lock(impl_->writer_mu);
  Session& s = impl_->writer;
  try {
    const Poco::Int64 head = static_cast<Poco::Int64>(head_.load());
    Poco::Int64 keep_from =
        head - static_cast<Poco::Int64>(std::max<size_t>(policy.max_events, 1)) + 1;
    s << "DELETE FROM events WHERE id < ?", use(keep_from), now;
    if (policy.max_age_ms > 0) {
      // Ages grow with ids (one clock, read in order), so this removes a prefix.
      Poco::Int64 cutoff = clock_.now_ms() - policy.max_age_ms;
      s << "DELETE FROM events WHERE time_ms < ?", use(cutoff), now;
    }
    Poco::Int64 min_id = 0, count = 0;
    s << "SELECT IFNULL(MIN(id), 0), COUNT(*) FROM events", into(min_id), into(count), now;
    first_id_ = count > 0 ? static_cast<EventId>(min_id) : head_.load() + 1;
    size_ = static_cast<size_t>(count);
  } catch (const Poco::Exception&) {
    // Retention is retried on the next pass; a failure here loses nothing.
  }
}

bool SqliteEventLog::covers(EventId after) const {
  return after <= head_.load() && after + 1 >= first_id_.load();
}

Result<ReplayPage> SqliteEventLog::replay(EventId after, EventId up_to, const EventFilter& filter,
                                          size_t max_events) const {
  try {
    return read_page(after, up_to, filter, max_events);
  } catch (const Poco::Exception& e) {
    return Error::io_error(fmt::format("the event log could not be read: {}", e.displayText()));
  }
}

ReplayPage SqliteEventLog::read_page(EventId after, EventId up_to, const EventFilter& filter,
                                     size_t max_events) const {
  ReplayPage page;
  page.next_after = after;
  up_to = std::min(up_to, head_.load());
  size_t scanned = 0;
  std::lock_guard lock(impl_->reader_mu);
  while (page.next_after < up_to && page.events.size() < max_events && scanned < kMaxRowsScanned) {
    Rows rows;
    Poco::Int64 from = static_cast<Poco::Int64>(page.next_after);
    Poco::Int64 to = static_cast<Poco::Int64>(up_to);
    Poco::Int64 limit = static_cast<Poco::Int64>(max_events - page.events.size());
    impl_->reader << "SELECT id, channel, type, data, user_id, room, entity_type, time_ms"
                     " FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
        into(rows.id), into(rows.channel), into(rows.type), into(rows.data), into(rows.user_id),
        into(rows.room), into(rows.entity_type), into(rows.time_ms), use(from), use(to), use(limit),
        now;
    if (rows.id.empty()) {
      page.next_after = up_to;
      break;
    }
    for (size_t i = 0; i < rows.id.size(); ++i) {
      page.next_after = static_cast<EventId>(rows.id[i]);
      const auto channel = static_cast<Channel>(rows.channel[i]);
      auto event = restore_event(
          page.next_after, channel, std::move(rows.type[i]), std::move(rows.data[i]),
          {std::move(rows.user_id[i]), std::move(rows.room[i]), std::move(rows.entity_type[i])},
          rows.time_ms[i]);
      if (event && (!filter || filter(**event))) page.events.push_back(std::move(*event));
    }
    scanned += rows.id.size();
  }
  page.finished = page.next_after >= up_to;
  return page;
}

}  // namespace sse
