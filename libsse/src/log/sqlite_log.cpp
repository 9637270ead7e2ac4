#include "sse/log/sqlite_log.hpp"

#include <filesystem>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

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

// The columns of a page of rows, read in bulk.
struct SqliteEventLog::Rows {
  std::vector<Poco::Int64> id;
  std::vector<int> channel;
  std::vector<std::string> type, data, user_id, room, entity_type;
  std::vector<Poco::Int64> time_ms;
};

namespace {

struct FinalizeStatement {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using PreparedStatement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

}  // namespace

struct SqliteEventLog::Impl {
  explicit Impl(const std::string& db_path)
      : path(db_path), writer(open_session(db_path)), reader(open_session(db_path)) {}
  std::string path;
  Session writer;  // the writer thread's (and prune's), under writer_mu
  std::mutex writer_mu;
  mutable Session reader;
  mutable std::mutex reader_mu;
  // The commit's statements, prepared once on the writer connection through
  // the C API (Poco::Data would parse them again on every commit). Used under
  // writer_mu; declared after the sessions so they are finalized before the
  // connection closes.
  sqlite3* db = nullptr;  // the writer session's handle
  PreparedStatement begin, insert, trim, commit;

  // Prepares the commit's statements; the schema must exist.
  Status prepare_writer();
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

// BEGIN DEFERRED is what Poco's Session::begin() ran: the locking stays as it was.
constexpr const char* kBeginSql = "BEGIN DEFERRED";
constexpr const char* kInsertSql =
    "INSERT INTO events (id, channel, type, data, user_id, room, entity_type, time_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kTrimSql = "DELETE FROM events WHERE id < ?1";
constexpr const char* kCommitSql = "COMMIT";

Status prepare(sqlite3* db, const char* sql, PreparedStatement& out) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  out.reset(stmt);
  if (rc != SQLITE_OK) {
    return Error::corruption(fmt::format("cannot prepare '{}': {}", sql, sqlite3_errmsg(db)));
  }
  return {};
}

// Steps a statement that returns no rows and resets it for its next use.
Status step_done(sqlite3* db, sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  Status status;
  if (rc != SQLITE_DONE) {
    status = Error::io_error(
        fmt::format("the event log could not store the event: {}", sqlite3_errmsg(db)));
  }
  sqlite3_reset(stmt);
  return status;
}

// The sealed event's strings are bound in place (SQLITE_STATIC), not copied:
// the event outlives the step, and insert_events clears the bindings before
// it lets the events go.
void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

Status insert_event(sqlite3* db, sqlite3_stmt* insert, const Event& e) {
  sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(e.id));
  sqlite3_bind_int(insert, 2, static_cast<int>(e.channel));
  bind_text(insert, 3, e.type);
  bind_text(insert, 4, e.data);
  bind_text(insert, 5, e.audience.user_id);
  bind_text(insert, 6, e.audience.room);
  bind_text(insert, 7, e.audience.entity_type);
  sqlite3_bind_int64(insert, 8, e.time_ms);
  return step_done(db, insert);
}

}  // namespace

Status SqliteEventLog::Impl::prepare_writer() {
  db = Poco::Data::SQLite::Utility::dbHandle(writer);
  for (auto [sql, stmt] : {std::pair{kBeginSql, &begin}, std::pair{kInsertSql, &insert},
                           std::pair{kTrimSql, &trim}, std::pair{kCommitSql, &commit}}) {
    if (Status ok = prepare(db, sql, *stmt); !ok) return ok;
  }
  return {};
}

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
    if (Status ok = impl->prepare_writer(); !ok) {
      return ok.error().with_context(fmt::format("history.path: '{}'", path));
    }
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

// Seals each draft (a draft that fails, or throws, gets its error and no id).
std::vector<Result<EventPtr>> SqliteEventLog::seal_batch(const AppendBatcher::Batch& batch) const {
  const int64_t now_ms = clock_.now_ms();
  std::vector<Result<EventPtr>> sealed;
  sealed.reserve(batch.size());
  EventId next = head_.load() + 1;
  for (const AppendBatcher::Pending& p : batch) {
    sealed.push_back(seal_event(p.draft, next, now_ms));
    if (sealed.back()) ++next;
  }
  return sealed;
}

// Inserts the sealed events in one transaction, with the count bound applied
// in the same transaction; updates head/size/first under the writer lock.
// Nothing changes when it fails.
Status SqliteEventLog::insert_events(const std::vector<Result<EventPtr>>& sealed) {
  const Event* front = nullptr;
  const Event* back = nullptr;
  for (const Result<EventPtr>& event : sealed) {
    if (!event) continue;
    if (!front) front = event->get();
    back = event->get();
  }
  if (!back) return {};
  std::lock_guard lock(impl_->writer_mu);
  Impl& w = *impl_;
  const EventId head = back->id;
  const size_t max_events = std::max<size_t>(options_.retention.max_events, 1);
  const EventId first = first_id_.load() == head_.load() + 1 ? front->id : first_id_.load();
  // Ids held are consecutive (a failed commit uses none up), so the count is
  // arithmetic; the bound is enforced with a little slack to batch deletes.
  const size_t slack = max_events / 100;
  const bool trim = head - first + 1 > max_events + slack;
  const EventId keep_from = trim ? head - max_events + 1 : first;
  Status stored = step_done(w.db, w.begin.get());
  for (size_t i = 0; stored && i < sealed.size(); ++i) {
    if (sealed[i]) stored = insert_event(w.db, w.insert.get(), **sealed[i]);
  }
  sqlite3_clear_bindings(w.insert.get());
  if (stored && trim) {
    sqlite3_bind_int64(w.trim.get(), 1, static_cast<sqlite3_int64>(keep_from));
    stored = step_done(w.db, w.trim.get());
  }
  if (stored) stored = step_done(w.db, w.commit.get());
  if (!stored) {
    // Some errors (a full disk, an I/O error) end the transaction themselves.
    if (!sqlite3_get_autocommit(w.db)) sqlite3_exec(w.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return stored;
  }
  first_id_ = keep_from;
  head_ = head;
  size_ = static_cast<size_t>(head - keep_from + 1);
  return {};
}

void SqliteEventLog::commit(AppendBatcher::Batch& batch) {
  std::vector<Result<EventPtr>> sealed = seal_batch(batch);
  const Status stored = insert_events(sealed);
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
