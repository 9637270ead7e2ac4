#pragma once

// One Redis connection (Poco::Redis::Client) that connects when first used
// and again after any failure. A link has one user at a time: the thread
// that owns it, or whoever holds the lock beside it (Poco's Client is not
// thread-safe). Failures come back as Error::unavailable naming the server
// (its URL without the password), never as exceptions.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include "sse/config/redis_url.hpp"
#include "sse/util/result.hpp"

namespace sse::redis {

using Poco::Redis::Array;
using Reply = Poco::Redis::RedisType::Ptr;

struct LinkOptions {
  RedisEndpoint endpoint;
  std::string label;  // for messages: the URL without its password
  int64_t connect_timeout_ms = 2000;
  int64_t receive_timeout_ms = 5000;  // a reply that takes longer breaks the link
  // After a connect that failed, calls fail at once for this long instead of
  // waiting out another connect timeout each (0: every call tries).
  int64_t fail_fast_ms = 1000;
};

// Whether a call that fails on a connection that was up may be sent once
// more on a fresh one (the link may have sat idle on a connection that is
// gone). Only for commands that may run twice: reads, absolute writes.
enum class Retry { kNo, kOnce };

class Link {
 public:
  explicit Link(LinkOptions options);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Connects (TCP, AUTH, SELECT) unless connected; within fail_fast_ms of a
  // failed connect, fails at once with its error.
  Status connect();
  bool connected() const { return connected_; }
  void disconnect();
  // Disconnects and forgets a failed connect: the next call connects.
  void reset() {
    disconnect();
    connect_failed_at_ms_ = -1;
  }

  // One command and its reply. A Redis error reply is an Error::internal
  // with Redis's text (the command was wrong for the data), or unavailable
  // when it says Redis cannot serve now (is_transient); a broken or
  // timed-out connection is Error::unavailable, and the next call reconnects.
  Result<Reply> call(const Array& command, Retry retry = Retry::kNo);
  // As call(), waiting up to `wait_ms` more than the usual receive timeout
  // (XREAD BLOCK).
  Result<Reply> call_waiting(const Array& command, int64_t wait_ms);
  // Commands written at once; their replies in order, error replies
  // included as elements (see error_text).
  Result<std::vector<Reply>> pipeline(const std::vector<Array>& commands);

  const std::string& label() const { return options_.label; }

 private:
  Error broken(const std::string& what);
  Result<Reply> send(const Array& command);
  Status open_connection();
  LinkOptions options_;
  Poco::Redis::Client client_;
  bool connected_ = false;
  int64_t connect_failed_at_ms_ = -1;  // steady ms of the last failed connect
  std::string connect_error_;
};

// Links for callers on many threads: each call borrows a free link (or
// waits for one). Thread-safe.
class LinkPool {
 public:
  LinkPool(const LinkOptions& options, size_t size);
  Result<Reply> call(const Array& command, Retry retry = Retry::kNo);
  Result<std::vector<Reply>> pipeline(const std::vector<Array>& commands);

 private:
  Link& borrow();
  void give_back(Link& link);
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Link*> free_;
  std::mutex mu_;
  std::condition_variable freed_;
};

// Whether a Redis error reply means "not now" (LOADING after a restart,
// BUSY with a script, OOM, READONLY or MASTERDOWN around a failover,
// TRYAGAIN), as opposed to a command wrong for the data.
bool is_transient(const std::string& error_text);

// Reading replies. Each returns nothing for a reply of another type.
bool is_nil(const Reply& reply);
std::optional<std::string> as_string(const Reply& reply);  // bulk or simple string
std::optional<int64_t> as_integer(const Reply& reply);
const Array* as_array(const Reply& reply);  // null for a nil array too
std::optional<std::string> error_text(const Reply& reply);
// The elements of an array reply (empty for anything else).
std::vector<Reply> elements(const Reply& reply);

// A command from words: command({"GET", key}).
Array command(std::initializer_list<std::string> words);

}  // namespace sse::redis
