#pragma once

// What `ssectl tail` and `ssectl wait` share: the STREAM argument and the
// filter options, and StreamWatch, which follows one or several streams
// (one thread each), prints the events that pass the filters and counts
// those that count:
// - only events from the log (they carry an id) that pass every filter, and
//   heartbeats when --event heartbeat asks for them;
// - never the tail's own arrival in its --room (the first user-joined of its
//   user after each connection), nor, after a reconnect, its own departure
//   (the first user-left of its user replayed before that);
// - never the shutdown farewell (a maintenance event without an id): the
//   stream ends after it, and the watch reconnects.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "context.hpp"
#include "sse/client/http_client.hpp"
#include "sse/event/event.hpp"

namespace sse::cli {

class EventFilter;

struct WatchFlags {
  std::string streams;  // the STREAM argument: "chat" or "notifications,chat"
  std::string room;
  std::string entity_type;
  std::vector<std::string> events;
  std::vector<std::string> matches;
  int64_t count = 0;  // 0: no limit
  std::string last_event_id;
  bool no_follow = false;
  bool no_reconnect = false;
  std::string connect_timeout = "10s";
};

// Adds STREAM and the filter options to a tail or wait command.
void add_watch_options(CLI::App& command, WatchFlags& flags);

struct WatchOutcome {
  enum End {
    kCounted,   // --count events counted (or, without --count, the one wait needs)
    kCaughtUp,  // --no-follow: every stream finished its replay
    kClosed,    // --no-reconnect: every stream ended
    kDeadline,  // --timeout passed
    kStopped,   // keep_going() said stop
    kRefused,   // a stream could not be opened or broke for good (error set)
  } end = kClosed;
  std::optional<ClientError> error;
  int64_t counted = 0;
};

class StreamWatch {
 public:
  // Checks the flags (kExitUsage) and asks the server for its newest event
  // id: the watch starts after it, or after --last-event-id (kExitBadInput
  // when that is past it). Every stream opens with that id as Last-Event-ID,
  // so a reconnect before any event came still resumes from there and
  // nothing published since the watch began is missed. `need` is how many
  // counted events end the watch (0: none, run until something else does).
  // `command` ("tail", "wait") names the watch in messages; `timeout` (the
  // whole watch, the first request included) starts now.
  StreamWatch(Context& ctx, std::string command, const WatchFlags& flags, int64_t need,
              std::optional<std::chrono::milliseconds> timeout);
  ~StreamWatch();

  // Follows every stream until the outcome. `on_open` is called once, on the
  // thread of the last stream to open, when every stream is open (and
  // registered for live events). `keep_going` is asked at least every 250 ms.
  // Throws Failure for output that cannot be written (kExitOutputClosed).
  WatchOutcome run(const std::function<void()>& on_open, const std::function<bool()>& keep_going);

  // "2 of 3 events" or "2 events", for messages.
  std::string progress(int64_t counted) const;

  // When --timeout ends the watch, on the steady clock (nullopt: never).
  std::optional<int64_t> deadline_ms() const { return deadline_ms_; }

  // Ends the command for an outcome that is not success: kExitTimeout for
  // the deadline, kExitUnavailable for a stream that could not be opened in
  // --connect-timeout or streams that closed first, the request's code for a
  // refusal.
  [[noreturn]] void fail_for(const WatchOutcome& outcome) const;

 private:
  struct Target {
    Channel channel;
    std::string path;  // path and query
  };
  class Follower;

  void find_start_id();

  Context& ctx_;
  const std::string command_;
  const WatchFlags& flags_;
  int64_t need_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::optional<int64_t> deadline_ms_;
  std::vector<Target> targets_;
  std::unique_ptr<EventFilter> filter_;
  std::chrono::milliseconds connect_timeout_{10000};
  std::string start_id_;     // the Last-Event-ID every stream opens with ("": from now)
  std::string own_user_id_;  // "" when the token does not say
};

}  // namespace sse::cli
