#pragma once

// This node's membership of a cluster that shares one Redis (history.backend
// = "redis"): what the nodes must agree on besides the event log.
//
//   - A node number (1..4095), taken at join; stream ids are unique across
//     the cluster because each node's start at node << 40
//     (first_stream_id()), so a stream id also names its node.
//   - Per-user stream places: the admission check counts every live node's
//     streams of the user (admit()).
//   - The publish rate limit: one token bucket per user for the cluster.
//   - The admin view: each node keeps its list of streams in Redis, and a
//     kick for a stream of another node goes to that node.
//
// Keys under the prefix: nodes (a sorted set: node -> when its registration
// expires), users:<id> (a hash: node -> its streams of that user),
// node:<n>:connections (that node's streams, JSON), rate:<id> (a bucket),
// kicks (a stream of kick requests), nodes:next (the node counter).
// A node refreshes its registrations every node_ttl / 3 and soon after its
// streams change; a node that dies stops refreshing, and when node_ttl has
// passed the others stop counting its streams and listing them.
//
// While Redis is away, admission and the rate limit fall back to this node's
// own limits (streams keep opening; a publish fails anyway, at the log), and
// the admin view of other nodes is unavailable. Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sse/config/redis_url.hpp"
#include "sse/hub/stream_types.hpp"
#include "sse/limits/rate_limiter.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/logger.hpp"
#include "sse/util/result.hpp"

namespace sse {

namespace redis {
class Link;
class LinkPool;
}  // namespace redis

struct ClusterOptions {
  RedisTarget redis;
  int64_t node_ttl_ms = 10'000;
  size_t max_streams_per_user = 5;
  double publish_rate = 20;  // per user and second, for the whole cluster
  int publish_burst = 40;
  int64_t block_ms = 200;  // one wait for kicks: how soon stop is noticed
};

// What this node reports of itself at each refresh.
struct NodeReport {
  std::map<std::string, size_t> streams_per_user;  // open streams by user id
  std::string connections_json;                    // a JSON array: the admin view
};

class Cluster {
 public:
  static constexpr int kNodeShift = 40;

  // Takes a node number and registers the node. Fails (unavailable, naming
  // the URL) when Redis cannot be reached.
  static Result<std::unique_ptr<Cluster>> join(ClusterOptions options, const Clock& clock,
                                               Logger& logger);
  // Stops both threads and withdraws this node's registrations.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  uint32_t node() const { return node_; }
  StreamId first_stream_id() const { return (StreamId{node_} << kNodeShift) + 1; }
  static uint32_t node_of(StreamId id) { return static_cast<uint32_t>(id >> kNodeShift); }

  // Starts refreshing (with `report`, called on the cluster's thread) and
  // taking kicks for this node's streams (`kick_here`).
  void serve(std::function<NodeReport()> report, std::function<bool(StreamId)> kick_here);
  // This node's streams changed: refresh soon.
  void changed();

  // A stream of `user` is opening here, where `open_here()` streams of the
  // user hold a place with it: false when the other live nodes' streams of
  // the user and these together pass the limit. True while Redis is away.
  // Blocks for one round trip. `open_here` is read under the lock a refresh
  // holds while it reads and writes this node's counts, so that a refresh
  // cannot write back a count older than the one this call writes.
  bool admit(const std::string& user, const std::function<size_t()>& open_here);
  // One publish of `user` against the cluster's bucket. Allowed while Redis
  // is away. Blocks for one round trip.
  RateDecision try_publish(const std::string& user);

  // The admin view of every other live node: their connection objects
  // (JSON). Unavailable while Redis is away.
  Result<std::vector<std::string>> remote_connections();
  // Asks the node of `id` (not this one) to close it; false when that node
  // does not list it. Unavailable while Redis is away.
  Result<bool> kick_remote(StreamId id);

 private:
  Cluster(ClusterOptions options, const Clock& clock, Logger& logger);
  Status register_node();
  void refresh_loop();
  void refresh();
  void kick_loop();

  const ClusterOptions options_;
  const Clock& clock_;
  Logger& logger_;
  uint32_t node_ = 0;
  std::unique_ptr<redis::LinkPool> pool_;     // handler threads
  std::unique_ptr<redis::Link> refresher_;    // the refresh thread's
  std::unique_ptr<redis::Link> kick_reader_;  // the kick thread's
  std::function<NodeReport()> report_;
  std::function<bool(StreamId)> kick_here_;
  std::map<std::string, size_t> reported_users_;  // under counts_mu_
  std::mutex counts_mu_;  // this node's counts in Redis: one writer at a time

  std::mutex mu_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::thread refresh_thread_;
  std::thread kick_thread_;
};

}  // namespace sse
