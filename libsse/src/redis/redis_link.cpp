#include "redis/redis_link.hpp"

#include <algorithm>
#include <chrono>

#include <Poco/Exception.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/Exception.h>
#include <Poco/Redis/Type.h>
#include <fmt/format.h>

namespace sse::redis {
namespace {

using Poco::Redis::BulkString;
using Poco::Redis::RedisType;
using Poco::Redis::Type;

Poco::Timespan millis(int64_t ms) { return Poco::Timespan(ms * 1000); }

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Error refused(const std::string& text) {
  if (is_transient(text))
    return Error::unavailable(fmt::format("Redis cannot serve now: {}", text));
  return Error::internal(fmt::format("Redis: {}", text));
}

}  // namespace

Link::Link(LinkOptions options) : options_(std::move(options)) {}

Error Link::broken(const std::string& what) {
  disconnect();
  return Error::unavailable(fmt::format("Redis at {} is unreachable: {}", options_.label, what));
}

void Link::disconnect() {
  if (!connected_) return;
  connected_ = false;
  try {
    client_.disconnect();
  } catch (const Poco::Exception&) {
    // The socket is gone either way.
  }
}

Status Link::connect() {
  if (connected_) return {};
  if (connect_failed_at_ms_ >= 0 && steady_ms() - connect_failed_at_ms_ < options_.fail_fast_ms) {
    return Error::unavailable(connect_error_);
  }
  const Status made = open_connection();
  if (made) {
    connect_failed_at_ms_ = -1;
  } else {
    connect_failed_at_ms_ = steady_ms();
    connect_error_ = made.error().message();
  }
  return made;
}

Status Link::open_connection() {
  const RedisEndpoint& at = options_.endpoint;
  try {
    client_.connect(at.host, at.port, millis(options_.connect_timeout_ms));
    client_.setReceiveTimeout(millis(options_.receive_timeout_ms));
    connected_ = true;
    if (!at.password.empty()) {
      Array auth;
      auth << "AUTH";
      if (!at.username.empty()) auth << at.username;
      auth << at.password;
      client_.execute<std::string>(auth);
    }
    if (at.db != 0) client_.execute<std::string>(command({"SELECT", std::to_string(at.db)}));
    return {};
  } catch (const Poco::Redis::RedisException& e) {
    disconnect();
    return Error::unavailable(
        fmt::format("Redis at {} refused the connection: {}", options_.label, e.message()));
  } catch (const Poco::Exception& e) {
    return broken(e.displayText());
  }
}

Result<Reply> Link::call(const Array& cmd, Retry retry) {
  const bool was_connected = connected_;
  auto reply = send(cmd);
  if (!reply && reply.error().is_unavailable() && was_connected && !connected_ &&
      retry == Retry::kOnce) {
    reply = send(cmd);
  }
  return reply;
}

Result<Reply> Link::send(const Array& cmd) {
  if (Status up = connect(); !up) return up.error();
  try {
    Reply reply = client_.sendCommand(cmd);
    if (auto text = error_text(reply)) return refused(*text);
    return reply;
  } catch (const Poco::Exception& e) {
    return broken(e.displayText());
  }
}

Result<Reply> Link::call_waiting(const Array& cmd, int64_t wait_ms) {
  if (Status up = connect(); !up) return up.error();
  try {
    client_.setReceiveTimeout(millis(options_.receive_timeout_ms + wait_ms));
    Reply reply = client_.sendCommand(cmd);
    client_.setReceiveTimeout(millis(options_.receive_timeout_ms));
    if (auto text = error_text(reply)) return refused(*text);
    return reply;
  } catch (const Poco::Exception& e) {
    return broken(e.displayText());
  }
}

Result<std::vector<Reply>> Link::pipeline(const std::vector<Array>& commands) {
  if (Status up = connect(); !up) return up.error();
  try {
    const Array replies = client_.sendCommands(commands);
    std::vector<Reply> out;
    out.reserve(commands.size());
    for (auto it = replies.begin(); it != replies.end(); ++it) out.push_back(*it);
    if (out.size() != commands.size()) return broken("a reply is missing");
    return out;
  } catch (const Poco::Exception& e) {
    return broken(e.displayText());
  }
}

LinkPool::LinkPool(const LinkOptions& options, size_t size) {
  for (size_t i = 0; i < std::max<size_t>(size, 1); ++i) {
    links_.push_back(std::make_unique<Link>(options));
    free_.push_back(links_.back().get());
  }
}

Link& LinkPool::borrow() {
  std::unique_lock lock(mu_);
  freed_.wait(lock, [this] { return !free_.empty(); });
  Link* link = free_.back();
  free_.pop_back();
  return *link;
}

void LinkPool::give_back(Link& link) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(&link);
  }
  freed_.notify_one();
}

Result<Reply> LinkPool::call(const Array& cmd, Retry retry) {
  Link& link = borrow();
  auto reply = link.call(cmd, retry);
  give_back(link);
  return reply;
}

Result<std::vector<Reply>> LinkPool::pipeline(const std::vector<Array>& commands) {
  Link& link = borrow();
  auto replies = link.pipeline(commands);
  give_back(link);
  return replies;
}

bool is_transient(const std::string& text) {
  for (const char* prefix : {"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN"}) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool is_nil(const Reply& reply) {
  if (!reply) return true;
  if (reply->isBulkString()) return static_cast<const Type<BulkString>&>(*reply).value().isNull();
  if (reply->isArray()) return static_cast<const Type<Array>&>(*reply).value().isNull();
  return false;
}

std::optional<std::string> as_string(const Reply& reply) {
  if (!reply) return std::nullopt;
  if (reply->isBulkString()) {
    const BulkString& value = static_cast<const Type<BulkString>&>(*reply).value();
    if (value.isNull()) return std::nullopt;
    return value.value();
  }
  if (reply->isSimpleString()) return static_cast<const Type<std::string>&>(*reply).value();
  return std::nullopt;
}

std::optional<int64_t> as_integer(const Reply& reply) {
  if (!reply || !reply->isInteger()) return std::nullopt;
  return static_cast<const Type<Poco::Int64>&>(*reply).value();
}

const Array* as_array(const Reply& reply) {
  if (!reply || !reply->isArray()) return nullptr;
  const Array& array = static_cast<const Type<Array>&>(*reply).value();
  return array.isNull() ? nullptr : &array;
}

std::optional<std::string> error_text(const Reply& reply) {
  if (!reply || !reply->isError()) return std::nullopt;
  return static_cast<const Type<Poco::Redis::Error>&>(*reply).value().getMessage();
}

std::vector<Reply> elements(const Reply& reply) {
  std::vector<Reply> out;
  if (const Array* array = as_array(reply)) {
    for (auto it = array->begin(); it != array->end(); ++it) out.push_back(*it);
  }
  return out;
}

Array command(std::initializer_list<std::string> words) {
  Array out;
  for (const std::string& word : words) out << word;
  return out;
}

}  // namespace sse::redis
