#pragma once

// A long-lived subscription to one SSE stream, as EventSource keeps one
// (WHATWG HTML 9.2): it parses events, remembers the last event id, and when
// the stream drops it waits (ReconnectBackoff) and reopens it with
// Last-Event-ID. 401/403/404 (and other 4xx but 408/429) stop it: retrying
// cannot help. The network, the clock and sleeping are injected, so the
// reconnect logic is tested without sockets or real time.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sse/client/http_client.hpp"
#include "sse/client/reconnect_backoff.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/result.hpp"
#include "sse/wire/parser.hpp"

namespace sse {

enum class ReadStatus { kData, kIdle, kClosed, kFailed };

struct ReadResult {
  ReadStatus status = ReadStatus::kIdle;
  std::string bytes;    // kData: what arrived
  std::string message;  // kFailed: why
};

// One open stream (the response body after a 200). Owned by the subscriber.
class SseConnection {
 public:
  virtual ~SseConnection() = default;
  // Waits at most `max_wait_ms` for bytes: kData with some bytes, kIdle when
  // none came in time, kClosed at end of stream, kFailed on a broken connection.
  virtual ReadResult read(int64_t max_wait_ms) = 0;
};

struct OpenedStream {
  std::unique_ptr<SseConnection> connection;
  std::string replay;  // the X-SSE-Replay header: "complete", "incomplete" or ""
};

// Opens the stream; the subscriber calls it for the first connection and for
// every reconnection. A non-200 answer, or a 200 that is not
// text/event-stream (kProtocol), is a ClientError.
class SseConnector {
 public:
  virtual ~SseConnector() = default;
  // `last_event_id` is "" on a fresh start; otherwise send it as Last-Event-ID.
  // Connecting and reading the response head take at most `timeout_ms`.
  virtual Result<OpenedStream, ClientError> open(const std::string& last_event_id,
                                                 int64_t timeout_ms) = 0;
};

// Sleeps; tests substitute one that advances a ManualClock.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_ms(int64_t ms) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void sleep_ms(int64_t ms) override;
};

struct SubscriberOptions {
  bool reconnect = true;
  std::string last_event_id;           // resume after this id ("" : from now)
  std::optional<int64_t> deadline_ms;  // on Clock::steady_ms(); nullopt: no deadline
  int64_t poll_ms = 250;               // longest single wait, so the deadline is noticed
  int64_t connect_timeout_ms = 10000;  // one attempt to open (bounded by the deadline too)
  int64_t initial_backoff_ms = ReconnectBackoff::kDefaultInitialMs;
  int64_t max_backoff_ms = ReconnectBackoff::kDefaultMaxMs;
  ReconnectBackoff::Jitter jitter;  // empty: random (tests fix it)
  // The first connection failing ends the subscription at once (a wrong URL
  // or a server that is not up is reported, not waited for); set to retry it.
  bool retry_first_connect = false;
};

struct StreamOpenInfo {
  int attempt = 0;            // 1 for the first connection
  std::string last_event_id;  // what was sent as Last-Event-ID ("" : none)
  std::string replay;         // X-SSE-Replay as the server sent it
};

struct ReconnectInfo {
  int64_t delay_ms = 0;
  std::string reason;  // "stream closed by the server", the error message, …
};

struct SubscriberCallbacks {
  // Every dispatched event, heartbeats included. Return false to stop.
  std::function<bool(const wire::ParsedEvent&)> on_event;
  std::function<void(const StreamOpenInfo&)> on_open;         // optional
  std::function<void(const ReconnectInfo&)> on_reconnecting;  // optional
  // A comment line's text (": caught-up" -> "caught-up"). Return false to stop. Optional.
  std::function<bool(std::string_view)> on_comment;
  // Asked after every read, at least every poll_ms while a stream is open or
  // a reconnect waits (not during an open: that takes up to
  // connect_timeout_ms); false stops the subscription (kStopped). Optional.
  std::function<bool()> keep_going;
};

enum class SubscribeEnd {
  kStopped,   // on_event, on_comment or keep_going returned false
  kDeadline,  // options.deadline_ms passed
  kRefused,   // the server refused the stream (error set; no retry)
  kFailed,    // the connection failed and reconnecting is off (error set)
  kClosed,    // the server ended the stream cleanly and reconnecting is off
};

struct SubscribeOutcome {
  SubscribeEnd end = SubscribeEnd::kStopped;
  std::optional<ClientError> error;
  std::string last_event_id;
};

// Whether a failed open is worth retrying: network trouble, 408, 429 and 5xx are.
bool is_retryable(const ClientError& error);

// Not thread-safe; run() blocks until the subscription ends. The connector,
// clock and sleeper must outlive it.
class SseSubscriber {
 public:
  SseSubscriber(SseConnector& connector, const Clock& clock, Sleeper& sleeper,
                SubscriberOptions options, SubscriberCallbacks callbacks);
  SseSubscriber(const SseSubscriber&) = delete;
  SseSubscriber& operator=(const SseSubscriber&) = delete;

  SubscribeOutcome run();

  const std::string& last_event_id() const { return parser_.last_event_id(); }

 private:
  enum class Pump { kClosed, kBroken, kStopped, kDeadline };
  Pump pump(SseConnection& connection, std::string* why);
  int64_t remaining_ms() const;              // INT64_MAX without a deadline
  bool sleep_until_retry(int64_t delay_ms);  // false: the deadline came first

  SseConnector& connector_;
  const Clock& clock_;
  Sleeper& sleeper_;
  SubscriberOptions options_;
  SubscriberCallbacks callbacks_;
  ReconnectBackoff backoff_;
  wire::Parser parser_;
  bool stop_ = false;
};

}  // namespace sse
