#include "sse/log/redis_log.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "log/payload_template.hpp"
#include "redis/redis_link.hpp"

namespace sse {
namespace {

using redis::Array;
using redis::Reply;

// Assigns the id and appends, in one step. KEYS: the sequence, the stream.
// ARGV: MAXLEN, then channel, type, user, room, entity type, time, the
// newest id this node has seen, then the payload in pieces: the id goes
// between them. The id is above the node's newest even when Redis came back
// with less than it had (no persistence, a lagging replica): an id the node
// has routed is never given out again.
constexpr const char* kAppendScript = R"lua(
local id = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[8])
if id <= floor then
  id = floor + 1
  redis.call('SET', KEYS[1], id)
end
local data = table.concat(ARGV, string.format('%d', id), 9, #ARGV)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], string.format('%d-0', id),
           'c', ARGV[2], 't', ARGV[3], 'u', ARGV[4], 'r', ARGV[5], 'e', ARGV[6],
           'ms', ARGV[7], 'd', data)
return id
)lua";

// The newest id, and a sequence never behind the stream (a sequence key
// lost on its own would otherwise hand out ids the stream already has) nor
// behind ARGV[1], the newest id the caller has seen.
constexpr const char* kHeadScript = R"lua(
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if floor > seq then
  redis.call('SET', KEYS[1], floor)
  seq = floor
end
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 then
  local last = tonumber(string.match(top[1][1], '^(%d+)'))
  if last > seq then
    redis.call('SET', KEYS[1], last)
    seq = last
  end
end
return seq
)lua";

constexpr size_t kFeedCount = 512;
constexpr size_t kMaxEntriesScanned = 4096;  // per replay call (see EventLog::replay)
constexpr int64_t kFirstRetryMs = 100;
constexpr int64_t kMaxRetryMs = 1000;

std::optional<EventId> entry_id(const std::string& text) {
  EventId id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return id;
}

std::string stream_id(EventId id) { return fmt::format("{}-0", id); }

// A stream entry ([id, [field, value, …]]) back into an event.
Result<EventPtr> decode_entry(const Reply& entry, EventId* id_out) {
  const std::vector<Reply> parts = redis::elements(entry);
  if (parts.size() != 2) return Error::corruption("a stream entry is not [id, fields]");
  const auto id_text = redis::as_string(parts[0]);
  const auto id = id_text ? entry_id(*id_text) : std::nullopt;
  if (!id) return Error::corruption("a stream entry's id is not <event id>-0");
  *id_out = *id;
  const std::vector<Reply> fields = redis::elements(parts[1]);
  std::string type, data;
  Audience audience;
  int64_t time_ms = 0;
  int channel = -1;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto name = redis::as_string(fields[i]);
    auto value = redis::as_string(fields[i + 1]);
    if (!name || !value) continue;
    if (*name == "c") {
      channel = std::atoi(value->c_str());
    } else if (*name == "t") {
      type = std::move(*value);
    } else if (*name == "d") {
      data = std::move(*value);
    } else if (*name == "u") {
      audience.user_id = std::move(*value);
    } else if (*name == "r") {
      audience.room = std::move(*value);
    } else if (*name == "e") {
      audience.entity_type = std::move(*value);
    } else if (*name == "ms") {
      time_ms = std::atoll(value->c_str());
    }
  }
  if (channel < 0 || channel >= static_cast<int>(kChannelCount)) {
    return Error::corruption(fmt::format("event {} has no valid channel", *id));
  }
  return restore_event(*id, static_cast<Channel>(channel), std::move(type), std::move(data),
                       std::move(audience), time_ms);
}

// The append script's call: KEYS and ARGV as kAppendScript reads them.
struct AppendKeys {
  const std::string& sha;
  const std::string& seq;
  const std::string& stream;
  size_t max_events;
  EventId floor;  // the newest id this node has seen
};
Array append_command(const AppendKeys& keys, const EventDraft& draft,
                     const std::vector<std::string>& pieces, int64_t time_ms) {
  Array cmd;
  cmd << "EVALSHA" << keys.sha << "2" << keys.seq << keys.stream
      << std::to_string(std::max<size_t>(keys.max_events, 1))
      << std::to_string(static_cast<int>(draft.channel)) << draft.type << draft.audience.user_id
      << draft.audience.room << draft.audience.entity_type << std::to_string(time_ms)
      << std::to_string(keys.floor);
  for (const std::string& piece : pieces) cmd << piece;
  return cmd;
}

Array xrange(const std::string& key, const std::string& from, const std::string& to, size_t count) {
  return redis::command({"XRANGE", key, from, to, "COUNT", std::to_string(count)});
}

}  // namespace

struct RedisEventLog::Links {
  explicit Links(const redis::LinkOptions& options)
      : writer(options), reader(feed_options(options)), query(query_options(options)) {}
  // The feed has a backoff of its own: every attempt connects.
  static redis::LinkOptions feed_options(redis::LinkOptions options) {
    options.fail_fast_ms = 0;
    return options;
  }
  // Reads are small: a Redis that takes longer is hung, and a replay or a
  // stream open should not wait for it.
  static redis::LinkOptions query_options(redis::LinkOptions options) {
    options.receive_timeout_ms = 2000;
    return options;
  }
  redis::Link writer;         // the writer thread's
  redis::Link reader;         // the feed's
  mutable redis::Link query;  // replay, covers, size
  mutable std::mutex query_mu;
  mutable uint64_t query_outages = 0;  // under query_mu
  // A read on the query link (the caller holds query_mu), on a fresh
  // connection when Redis went away since its last use, and once more on a
  // fresh one when the connection it had fails (it may have sat idle on one
  // that is gone; a read is harmless to send again).
  Result<Reply> query_read(const Array& command, const std::atomic<uint64_t>& outages) const {
    if (outages.load() != query_outages) {
      query.reset();
      query_outages = outages.load();
    }
    return query.call(command, redis::Retry::kOnce);
  }
  std::string append_sha;       // the writer thread's
  uint64_t writer_outages = 0;  // the writer thread's
};

Result<std::unique_ptr<RedisEventLog>> RedisEventLog::open(RedisLogOptions options,
                                                           const Clock& clock, Logger& logger) {
  auto log = std::unique_ptr<RedisEventLog>(new RedisEventLog(std::move(options), clock, logger));
  if (Status ok = log->init(); !ok) return ok.error();
  RedisEventLog* raw = log.get();
  raw->batcher_.start([raw](AppendBatcher::Batch& batch) { raw->send_batch(batch); },
                      [raw] { raw->prune(); });
  return log;
}

RedisEventLog::RedisEventLog(RedisLogOptions options, const Clock& clock, Logger& logger)
    : options_(std::move(options)),
      clock_(clock),
      logger_(logger),
      stream_key_(options_.redis.key_prefix + "events"),
      seq_key_(options_.redis.key_prefix + "events:seq"),
      batcher_(options_.max_batch, options_.prune_interval_ms) {
  redis::LinkOptions link;
  link.endpoint = options_.redis.endpoint;
  link.label = options_.redis.label;
  link.connect_timeout_ms = options_.redis.connect_timeout_ms;
  links_ = std::make_unique<Links>(link);
}

Status RedisEventLog::init() {
  redis::Link& link = links_->writer;
  if (Status up = link.connect(); !up) return up.error().with_context("redis.url");
  auto info = link.call(redis::command({"INFO", "server"}));
  if (!info) return info.error().with_context("redis.url");
  const std::string text = redis::as_string(*info).value_or("");
  const size_t at = text.find("redis_version:");
  int major = 0, minor = 0;
  if (at != std::string::npos)
    std::sscanf(text.c_str() + at, "redis_version:%d.%d", &major, &minor);
  if (major < 6 || (major == 6 && minor < 2)) {
    return Error::unavailable(
        fmt::format("redis.url: {} runs Redis {}.{}; the event log needs 6.2 or later",
                    options_.redis.label, major, minor));
  }
  auto head = link.call(redis::command({"EVAL", kHeadScript, "2", seq_key_, stream_key_, "0"}));
  if (!head) return head.error().with_context("redis.url");
  const auto newest = redis::as_integer(*head);
  if (!newest || *newest < 0) return Error::corruption("redis: the event sequence is not a number");
  head_ = static_cast<EventId>(*newest);
  auto sha = link.call(redis::command({"SCRIPT", "LOAD", kAppendScript}));
  if (!sha) return sha.error().with_context("redis.url");
  links_->append_sha = redis::as_string(*sha).value_or("");
  prune();
  return {};
}

RedisEventLog::~RedisEventLog() {
  stop_feed();
  batcher_.stop();
}

void RedisEventLog::raise_head(EventId id) {
  EventId newest = head_.load();
  while (id > newest && !head_.compare_exchange_weak(newest, id)) {
  }
}

void RedisEventLog::refresh_after_outage(redis::Link& link, uint64_t* seen) const {
  const uint64_t outages = outages_.load();
  if (outages == *seen) return;
  link.reset();
  *seen = outages;
}

void RedisEventLog::note_link(std::atomic<bool>& up, bool now_up, const std::string& who,
                              const std::string& detail) {
  const bool was_up = up.exchange(now_up);
  if (was_up == now_up) return;
  const bool reader = &up == &reader_up_;
  if (reader) outages_.fetch_add(1);
  if (now_up && reader) {
    // The writer reconnects at its next batch (outages_ changed): Redis is
    // back for it too, as far as anyone can tell without a publish.
    writer_up_.store(true);
    reconnects_.fetch_add(1);
  }
  if (now_up) {
    logger_.info("redis: connected again", {{"link", who}, {"redis", options_.redis.label}});
  } else {
    logger_.warn("redis: connection lost; retrying", {{"link", who}, {"error", detail}});
  }
}

// Appending.

void RedisEventLog::append(const EventDraft& draft, AppendCallback done) {
  batcher_.append(draft, std::move(done));
}

void RedisEventLog::send_batch(AppendBatcher::Batch& batch) {
  const int64_t now_ms = clock_.now_ms();
  std::vector<std::optional<Error>> failed(batch.size());
  std::vector<std::vector<std::string>> pieces(batch.size());
  std::vector<EventId> ids(batch.size(), 0);
  std::vector<size_t> sent;  // indexes into batch, in command order
  std::vector<Array> commands;
  const AppendKeys keys{links_->append_sha, seq_key_, stream_key_, options_.retention.max_events,
                        head_.load()};
  for (size_t i = 0; i < batch.size(); ++i) {
    auto payload = payload_template(batch[i].draft, now_ms);
    if (!payload) {
      failed[i] = payload.error();
      continue;
    }
    pieces[i] = std::move(*payload);
    commands.push_back(append_command(keys, batch[i].draft, pieces[i], now_ms));
    sent.push_back(i);
  }
  redis::Link& link = links_->writer;
  refresh_after_outage(link, &links_->writer_outages);
  // Twice at most: a Redis that restarted has forgotten the script (NOSCRIPT;
  // such a command did not run, so sending it again cannot append twice).
  // Loading it again gives it the same SHA1, so the commands stay as they are.
  for (int attempt = 0; attempt < 2 && !sent.empty(); ++attempt) {
    auto replies = link.pipeline(commands);
    if (!replies) {
      note_link(writer_up_, false, "writer", replies.error().message());
      for (size_t i : sent) failed[i] = replies.error();
      break;
    }
    note_link(writer_up_, true, "writer", "");
    std::vector<size_t> again;
    std::vector<Array> again_commands;
    for (size_t k = 0; k < sent.size(); ++k) {
      const size_t i = sent[k];
      const Reply& reply = (*replies)[k];
      if (auto text = redis::error_text(reply)) {
        if (text->rfind("NOSCRIPT", 0) == 0 && attempt == 0) {
          again.push_back(i);
          again_commands.push_back(commands[k]);
        } else if (redis::is_transient(*text)) {
          failed[i] = Error::unavailable(fmt::format("Redis cannot take the event now: {}", *text));
        } else {
          failed[i] = Error::internal(fmt::format("Redis refused the event: {}", *text));
        }
      } else if (auto id = redis::as_integer(reply); id && *id > 0) {
        ids[i] = static_cast<EventId>(*id);
      } else {
        failed[i] = Error::internal("Redis gave no event id");
      }
    }
    if (again.empty()) break;
    if (auto loaded = link.call(redis::command({"SCRIPT", "LOAD", kAppendScript})); !loaded) {
      for (size_t i : again) failed[i] = loaded.error();
      break;
    }
    sent = std::move(again);
    commands = std::move(again_commands);
  }
  // Callbacks in batch order, which is id order for this node's events.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (failed[i]) {
      batch[i].done(*failed[i]);
      continue;
    }
    raise_head(ids[i]);
    const EventDraft& d = batch[i].draft;
    batch[i].done(restore_event(ids[i], d.channel, d.type, fill_payload(pieces[i], ids[i]),
                                d.audience, now_ms));
  }
}

void RedisEventLog::prune() {
  if (options_.retention.max_age_ms <= 0) return;
  redis::Link& link = links_->writer;
  const int64_t cutoff = clock_.now_ms() - options_.retention.max_age_ms;
  // Ages grow with ids (each node stamps its own clock: roughly), so the old
  // events are a prefix: trim up to the first young one.
  for (int round = 0; round < 64; ++round) {
    auto page = link.call(xrange(stream_key_, "-", "+", 256));
    if (!page) return;  // retried on the next pass
    const std::vector<Reply> entries = redis::elements(*page);
    std::optional<std::string> keep_from;
    EventId last = 0;
    for (const Reply& entry : entries) {
      EventId id = 0;
      auto event = decode_entry(entry, &id);
      last = id;
      if (event && (*event)->time_ms >= cutoff) {
        keep_from = stream_id(id);
        break;
      }
    }
    if (entries.empty()) return;
    const std::string below = keep_from.value_or(stream_id(last + 1));
    if (!link.call(redis::command({"XTRIM", stream_key_, "MINID", below}))) return;
    if (keep_from) return;
  }
}

// The feed.

void RedisEventLog::start_feed(FeedCallback on_event) {
  std::lock_guard lock(feed_mu_);
  if (reader_.joinable() || feed_stopping_) return;
  reader_ = std::thread(
      [this, after = head_.load(), on_event = std::move(on_event)] { feed_loop(after, on_event); });
}

void RedisEventLog::stop_feed() {
  {
    std::lock_guard lock(feed_mu_);
    feed_stopping_ = true;
  }
  feed_cv_.notify_all();
  if (reader_.joinable() && reader_.get_id() != std::this_thread::get_id()) reader_.join();
}

void RedisEventLog::feed_loop(EventId after, const FeedCallback& on_event) {
  redis::Link& link = links_->reader;
  int64_t retry_ms = kFirstRetryMs;
  bool lost = false;
  for (;;) {
    {
      std::unique_lock lock(feed_mu_);
      if (feed_stopping_) return;
    }
    // Back after an outage: before anything is read, the sequence goes above
    // everything this node has seen, in case Redis came back with less.
    if (lost) {
      if (Status raised = raise_sequence(link, std::max(after, head_.load())); !raised) {
        if (raised.error().is_unavailable()) {
          std::unique_lock lock(feed_mu_);
          feed_cv_.wait_for(lock, std::chrono::milliseconds(retry_ms),
                            [this] { return feed_stopping_; });
          retry_ms = std::min(retry_ms * 2, kMaxRetryMs);
          continue;
        }
        logger_.error("redis: cannot check the event sequence; reading on",
                      {{"error", raised.error().message()}});
      }
      lost = false;
    }
    const std::string block = std::to_string(options_.block_ms);
    auto reply =
        link.call_waiting(redis::command({"XREAD", "COUNT", std::to_string(kFeedCount), "BLOCK",
                                          block, "STREAMS", stream_key_, stream_id(after)}),
                          options_.block_ms);
    if (!reply) {
      lost = true;
      note_link(reader_up_, false, "reader", reply.error().message());
      std::unique_lock lock(feed_mu_);
      feed_cv_.wait_for(lock, std::chrono::milliseconds(retry_ms),
                        [this] { return feed_stopping_; });
      retry_ms = std::min(retry_ms * 2, kMaxRetryMs);
      continue;
    }
    note_link(reader_up_, true, "reader", "");
    retry_ms = kFirstRetryMs;
    for (const Reply& stream : redis::elements(*reply)) {
      const std::vector<Reply> parts = redis::elements(stream);
      if (parts.size() != 2) continue;
      for (const Reply& entry : redis::elements(parts[1])) {
        EventId id = 0;
        auto event = decode_entry(entry, &id);
        if (id <= after) continue;
        after = id;
        raise_head(id);
        if (!event) {
          logger_.error("redis: skipping an event the log cannot read",
                        {{"id", std::to_string(id)}, {"error", event.error().message()}});
          continue;
        }
        on_event(*event);
      }
    }
  }
}

Status RedisEventLog::raise_sequence(redis::Link& link, EventId seen) {
  // A Redis that lost data would give out ids this node has seen, and its
  // streams would never get those events.
  auto raised = link.call(
      redis::command({"EVAL", kHeadScript, "2", seq_key_, stream_key_, std::to_string(seen)}));
  if (!raised) return raised.error();
  return {};
}

Result<EventId> RedisEventLog::newest_id() const {
  std::lock_guard lock(links_->query_mu);
  auto reply = links_->query_read(redis::command({"GET", seq_key_}), outages_);
  if (!reply) return reply.error();
  const std::string text = redis::as_string(*reply).value_or("0");
  return std::max<EventId>(entry_id(text).value_or(0), head_.load());
}

// Reading.

Result<ReplayPage> RedisEventLog::replay(EventId after, EventId up_to, const EventFilter& filter,
                                         size_t max_events) const {
  ReplayPage page;
  page.next_after = after;
  up_to = std::min(up_to, head_.load());
  size_t scanned = 0;
  std::lock_guard lock(links_->query_mu);
  while (page.next_after < up_to && page.events.size() < max_events &&
         scanned < kMaxEntriesScanned) {
    const size_t want = std::min<size_t>(kFeedCount, max_events - page.events.size());
    auto reply = links_->query_read(
        xrange(stream_key_, stream_id(page.next_after + 1), stream_id(up_to), want), outages_);
    if (!reply && reply.error().is_unavailable()) return reply.error();
    if (!reply) return Error::io_error(reply.error().message());
    const std::vector<Reply> entries = redis::elements(*reply);
    if (entries.empty()) {
      page.next_after = up_to;
      break;
    }
    for (const Reply& entry : entries) {
      EventId id = 0;
      auto event = decode_entry(entry, &id);
      if (id > page.next_after) page.next_after = id;
      if (event && (!filter || filter(**event))) page.events.push_back(std::move(*event));
    }
    scanned += entries.size();
  }
  page.finished = page.next_after >= up_to;
  return page;
}

bool RedisEventLog::covers(EventId after) const {
  if (after > head_.load()) return false;
  std::lock_guard lock(links_->query_mu);
  auto reply = links_->query_read(xrange(stream_key_, "-", "+", 1), outages_);
  if (!reply) return false;
  const std::vector<Reply> entries = redis::elements(*reply);
  if (entries.empty()) return after == head_.load();
  EventId first = 0;
  (void)decode_entry(entries.front(), &first);
  return after + 1 >= first;
}

size_t RedisEventLog::size() const {
  std::lock_guard lock(links_->query_mu);
  if (auto reply = links_->query_read(redis::command({"XLEN", stream_key_}), outages_)) {
    if (auto n = redis::as_integer(*reply); n && *n >= 0) size_ = static_cast<size_t>(*n);
  }
  return size_.load();
}

}  // namespace sse
