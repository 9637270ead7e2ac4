#include "sse/cluster/cluster.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "redis/redis_link.hpp"

namespace sse {
namespace {

using redis::Array;
using redis::Reply;

constexpr uint32_t kMaxNode = (1u << 12) - 1;  // stream ids stay below 2^53 (JSON numbers)
constexpr size_t kHandlerLinks = 4;
constexpr int64_t kDebounceMs = 100;  // a change is reported this soon, at most this often
constexpr const char* kKickLength = "1000";

// KEYS: the user's hash, the nodes set. ARGV: this node, its streams of the
// user (the new one included), the limit, the hash's lifetime (ms).
constexpr const char* kAdmitScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = redis.call('HGETALL', KEYS[1])
local others = 0
for i = 1, #fields, 2 do
  local node = fields[i]
  if node ~= ARGV[1] then
    local expires = redis.call('ZSCORE', KEYS[2], node)
    if expires and tonumber(expires) >= now then
      others = others + tonumber(fields[i + 1])
    else
      redis.call('HDEL', KEYS[1], node)
    end
  end
end
if others + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// A token bucket in thousandths of a token. KEYS: the bucket. ARGV: tokens
// a second, the burst. Returns -1 (allowed) or the ms until a token.
constexpr const char* kRateScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2]) * 1000
local b = redis.call('HMGET', KEYS[1], 'm', 'ts')
local m = tonumber(b[1]) or cap
local ts = tonumber(b[2]) or now
m = math.min(cap, m + math.floor((now - ts) * rate))
if m < 1000 then return math.ceil((1000 - m) / rate) end
redis.call('HSET', KEYS[1], 'm', m - 1000, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
return -1
)lua";

// KEYS: the nodes set. ARGV: a node number, the registration's lifetime
// (ms). Takes the number unless a live node has it (returns 0 then).
constexpr const char* kClaimScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expires and tonumber(expires) >= now then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
)lua";

// KEYS: the nodes set. ARGV: this node, its registration's lifetime (ms).
// Registers it and forgets the nodes whose registration has expired.
constexpr const char* kRegisterScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return now
)lua";

}  // namespace

Result<std::unique_ptr<Cluster>> Cluster::join(ClusterOptions options, const Clock& clock,
                                               Logger& logger) {
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options), clock, logger));
  if (Status ok = cluster->register_node(); !ok) return ok.error().with_context("redis.url");
  return cluster;
}

Cluster::Cluster(ClusterOptions options, const Clock& clock, Logger& logger)
    : options_(std::move(options)), clock_(clock), logger_(logger) {
  redis::LinkOptions link;
  link.endpoint = options_.redis.endpoint;
  link.label = options_.redis.label;
  link.connect_timeout_ms = options_.redis.connect_timeout_ms;
  // Handlers wait for these calls: a Redis slower than this is taken as away.
  link.receive_timeout_ms = 2000;
  pool_ = std::make_unique<redis::LinkPool>(link, kHandlerLinks);
  refresher_ = std::make_unique<redis::Link>(link);
  kick_reader_ = std::make_unique<redis::Link>(link);
}

Status Cluster::register_node() {
  // The counter goes round; a number a live node holds is skipped.
  for (uint32_t attempt = 0; attempt < kMaxNode; ++attempt) {
    auto next =
        refresher_->call(redis::command({"INCR", options_.redis.key_prefix + "nodes:next"}));
    if (!next) return next.error();
    const int64_t n = redis::as_integer(*next).value_or(1);
    const uint32_t node = static_cast<uint32_t>((n - 1) % kMaxNode) + 1;
    auto claimed = refresher_->call(
        redis::command({"EVAL", kClaimScript, "1", options_.redis.key_prefix + "nodes",
                        std::to_string(node), std::to_string(options_.node_ttl_ms)}));
    if (!claimed) return claimed.error();
    if (redis::as_integer(*claimed).value_or(0) == 1) {
      node_ = node;
      return {};
    }
  }
  return Error::unavailable(fmt::format("every one of the {} node numbers is taken", kMaxNode));
}

Cluster::~Cluster() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  if (kick_thread_.joinable()) kick_thread_.join();
  // Withdrawn now, so that the others need not wait for node_ttl.
  std::vector<Array> leave;
  const std::string node = std::to_string(node_);
  leave.push_back(redis::command({"ZREM", options_.redis.key_prefix + "nodes", node}));
  leave.push_back(
      redis::command({"DEL", options_.redis.key_prefix + "node:" + node + ":connections"}));
  for (const auto& [user, count] : reported_users_) {
    leave.push_back(redis::command({"HDEL", options_.redis.key_prefix + "users:" + user, node}));
  }
  (void)refresher_->pipeline(leave);
}

void Cluster::serve(std::function<NodeReport()> report, std::function<bool(StreamId)> kick_here) {
  report_ = std::move(report);
  kick_here_ = std::move(kick_here);
  refresh_thread_ = std::thread([this] { refresh_loop(); });
  kick_thread_ = std::thread([this] { kick_loop(); });
}

void Cluster::changed() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  wake_.notify_all();
}

// Refreshing this node's registrations.

void Cluster::refresh_loop() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(options_.node_ttl_ms / 3, 1));
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, period, [this] { return stopping_ || dirty_; });
    if (stopping_) return;
    dirty_ = false;
    lock.unlock();
    refresh();
    // Changes that come meanwhile wait for the next round: one refresh per
    // debounce interval at most.
    std::this_thread::sleep_for(std::chrono::milliseconds(kDebounceMs));
    lock.lock();
  }
}

void Cluster::refresh() {
  std::lock_guard counts(counts_mu_);
  const NodeReport report = report_();
  const std::string node = std::to_string(node_);
  const std::string ttl = std::to_string(options_.node_ttl_ms);
  std::vector<Array> commands;
  commands.push_back(redis::command(
      {"EVAL", kRegisterScript, "1", options_.redis.key_prefix + "nodes", node, ttl}));
  for (const auto& [user, count] : report.streams_per_user) {
    const std::string key = options_.redis.key_prefix + "users:" + user;
    commands.push_back(redis::command({"HSET", key, node, std::to_string(count)}));
    commands.push_back(redis::command({"PEXPIRE", key, ttl}));
  }
  for (const auto& [user, count] : reported_users_) {
    if (!report.streams_per_user.count(user)) {
      commands.push_back(
          redis::command({"HDEL", options_.redis.key_prefix + "users:" + user, node}));
    }
  }
  commands.push_back(
      redis::command({"SET", options_.redis.key_prefix + "node:" + node + ":connections",
                      report.connections_json, "PX", ttl}));
  if (auto sent = refresher_->pipeline(commands); !sent) {
    logger_.warn("cluster: cannot refresh this node's registration",
                 {{"error", sent.error().message()}});
    return;  // reported_users_ stays: the next refresh withdraws them
  }
  reported_users_ = report.streams_per_user;
}

// Kicks from other nodes.

void Cluster::kick_loop() {
  const std::string key = options_.redis.key_prefix + "kicks";
  std::string after;  // the newest kick seen; empty until read
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (after.empty()) {
      auto newest = kick_reader_->call(redis::command({"XREVRANGE", key, "+", "-", "COUNT", "1"}));
      if (!newest) {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; });
        continue;
      }
      const auto entries = redis::elements(*newest);
      const auto first = entries.empty() ? std::vector<Reply>{} : redis::elements(entries[0]);
      after = first.empty() ? "0-0" : redis::as_string(first[0]).value_or("0-0");
    }
    auto reply = kick_reader_->call_waiting(
        redis::command(
            {"XREAD", "BLOCK", std::to_string(options_.block_ms), "STREAMS", key, after}),
        options_.block_ms);
    if (!reply) {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; });
      continue;
    }
    for (const Reply& stream : redis::elements(*reply)) {
      const auto parts = redis::elements(stream);
      if (parts.size() != 2) continue;
      for (const Reply& entry : redis::elements(parts[1])) {
        const auto fields = redis::elements(entry);
        if (fields.size() != 2) continue;
        after = redis::as_string(fields[0]).value_or(after);
        const auto values = redis::elements(fields[1]);
        std::optional<StreamId> id;
        for (size_t i = 0; i + 1 < values.size(); i += 2) {
          if (redis::as_string(values[i]).value_or("") == "stream") {
            id = std::strtoull(redis::as_string(values[i + 1]).value_or("0").c_str(), nullptr, 10);
          }
        }
        if (id && node_of(*id) == node_ && kick_here_) (void)kick_here_(*id);
      }
    }
  }
}

// Handler-side calls.

bool Cluster::admit(const std::string& user, const std::function<size_t()>& open_here) {
  std::lock_guard counts(counts_mu_);
  auto reply = pool_->call(
      redis::command({"EVAL", kAdmitScript, "2", options_.redis.key_prefix + "users:" + user,
                      options_.redis.key_prefix + "nodes", std::to_string(node_),
                      std::to_string(open_here()), std::to_string(options_.max_streams_per_user),
                      std::to_string(options_.node_ttl_ms)}),
      redis::Retry::kOnce);  // it sets this node's count: sending it twice is harmless
  if (!reply) return true;   // Redis away: this node's own limit holds
  return redis::as_integer(*reply).value_or(1) == 1;
}

RateDecision Cluster::try_publish(const std::string& user) {
  auto reply = pool_->call(redis::command(
      {"EVAL", kRateScript, "1", options_.redis.key_prefix + "rate:" + user,
       fmt::format("{}", options_.publish_rate), std::to_string(options_.publish_burst)}));
  RateDecision decision;
  if (!reply) return decision;  // the publish will fail at the log
  const int64_t wait_ms = redis::as_integer(*reply).value_or(-1);
  if (wait_ms >= 0) {
    decision.allowed = false;
    decision.retry_after_ms = std::max<int64_t>(wait_ms, 1);
  }
  return decision;
}

Result<std::vector<std::string>> Cluster::remote_connections() {
  auto nodes = pool_->call(
      redis::command({"ZRANGEBYSCORE", options_.redis.key_prefix + "nodes", "-inf", "+inf"}),
      redis::Retry::kOnce);
  if (!nodes) return nodes.error();
  std::vector<Array> gets;
  for (const Reply& member : redis::elements(*nodes)) {
    const std::string node = redis::as_string(member).value_or("");
    if (node.empty() || node == std::to_string(node_)) continue;
    gets.push_back(
        redis::command({"GET", options_.redis.key_prefix + "node:" + node + ":connections"}));
  }
  std::vector<std::string> lists;
  if (gets.empty()) return lists;
  auto replies = pool_->pipeline(gets);
  if (!replies) return replies.error();
  for (const Reply& reply : *replies) {
    if (auto list = redis::as_string(reply)) lists.push_back(std::move(*list));
  }
  return lists;
}

Result<bool> Cluster::kick_remote(StreamId id) {
  const std::string node = std::to_string(node_of(id));
  auto list = pool_->call(
      redis::command({"GET", options_.redis.key_prefix + "node:" + node + ":connections"}),
      redis::Retry::kOnce);
  if (!list) return list.error();
  const std::string text = redis::as_string(*list).value_or("");
  if (text.find(fmt::format(R"("id":"{}")", id)) == std::string::npos) return false;
  auto sent =
      pool_->call(redis::command({"XADD", options_.redis.key_prefix + "kicks", "MAXLEN", "~",
                                  kKickLength, "*", "node", node, "stream", std::to_string(id)}));
  if (!sent) return sent.error();
  return true;
}

}  // namespace sse
