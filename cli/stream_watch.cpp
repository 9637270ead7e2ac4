#include "stream_watch.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "event_filter.hpp"
#include "json_util.hpp"
#include "sse/api/contract.hpp"
#include "sse/auth/demo_token.hpp"
#include "sse/auth/jwt.hpp"
#include "sse/client/http_sse_connector.hpp"
#include "sse/client/sse_subscriber.hpp"
#include "sse/client/url.hpp"
#include "sse/config/duration.hpp"
#include "sse/wire/encoder.hpp"
#include "tail_format.hpp"

namespace sse::cli {
namespace {

namespace ev = api::event;

std::vector<Channel> parse_streams(const std::string& text) {
  std::vector<Channel> channels;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string name = text.substr(start, comma - start);
    const std::optional<Channel> channel = parse_channel(name);
    if (!channel) {
      fail(kExitUsage, fmt::format("unknown stream '{}'; the streams are {}", name,
                                   fmt::join(channel_names(), ", ")));
    }
    if (std::find(channels.begin(), channels.end(), *channel) != channels.end()) {
      fail(kExitUsage, fmt::format("stream '{}' is named twice", name));
    }
    channels.push_back(*channel);
    if (comma == std::string::npos) return channels;
    start = comma + 1;
  }
}

bool has(const std::vector<Channel>& channels, Channel channel) {
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

// The user the token names, without checking its signature: enough to know
// which user-joined is the tail's own.
std::string user_of(const std::string& token) {
  if (token.empty()) return "";
  if (auto demo = decode_demo_token(token)) return demo->user_id;
  if (auto jwt = decode_jwt_unverified(token)) return jwt->identity.user_id;
  return "";
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.size() <= 19 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// State shared by the streams' threads. Printing and counting happen under
// one mutex, so lines never interleave and the count is exact.
class Shared {
 public:
  Shared(const Output& out, const EventFilter& filter, int64_t need, bool several, bool reconnects)
      : out_(out), filter_(filter), need_(need), several_(several), reconnects_(reconnects) {}

  // Prints the event if it passes; false once the watch should stop.
  bool on_event(Channel channel, const wire::ParsedEvent& event,
                const Poco::JSON::Object::Ptr& data, bool has_id) {
    if (event.type == ev::kMaintenance && !has_id) {
      out_.notice(fmt::format("{}: the server is going away ({}){}", channel_name(channel),
                              escape_control(field_text(data, "reason")),
                              reconnects_ ? "; reconnecting" : ""));
      return !stopping();
    }
    if (!filter_.accepts(event.type, data)) return !stopping();
    std::lock_guard lock(mu_);
    if (stop_) return false;
    print(channel, event, data, has_id);
    // Events without an id (heartbeats) count only when --event asked for them.
    const bool counts = has_id || filter_.names(event.type);
    if (counts && ++counted_ >= need_ && need_ > 0) stop_ = true;
    return !stop_;
  }

  void stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }
  // The first failure of any thread; it stops the others.
  void fail_with(Failure failure) {
    std::lock_guard lock(mu_);
    if (!failure_) failure_ = std::move(failure);
    stop_ = true;
  }
  std::optional<Failure> failure() {
    std::lock_guard lock(mu_);
    return failure_;
  }
  bool counted_all() {
    std::lock_guard lock(mu_);
    return need_ > 0 && counted_ >= need_;
  }
  int64_t counted() {
    std::lock_guard lock(mu_);
    return counted_;
  }

 private:
  void print(Channel channel, const wire::ParsedEvent& event, const Poco::JSON::Object::Ptr& data,
             bool has_id) {
    const std::string_view name = channel_name(channel);
    switch (out_.format()) {
      case OutputFormat::kText:
        out_.print(several_ ? fmt::format("[{}] {}", name, format_event_text(event, data, out_))
                            : format_event_text(event, data, out_));
        break;
      case OutputFormat::kJson:
        out_.print(format_event_json(event, data, has_id, name));
        break;
      case OutputFormat::kRaw:
        out_.write(format_event_raw(event, has_id));
        break;
    }
  }

  const Output& out_;
  const EventFilter& filter_;
  const int64_t need_;
  const bool several_;
  const bool reconnects_;
  std::mutex mu_;
  bool stop_ = false;
  int64_t counted_ = 0;
  std::optional<Failure> failure_;
};

}  // namespace

void add_watch_options(CLI::App& command, WatchFlags& flags) {
  command
      .add_option("STREAM", flags.streams,
                  "notifications, realtime, chat or status; several with commas (chat,realtime)")
      ->required();
  command.add_option("--room", flags.room, "chat: only this room")->type_name("R");
  command.add_option("--entity-type", flags.entity_type, "realtime: only this entity type")
      ->type_name("T");
  command
      .add_option("--event", flags.events,
                  "only events of TYPE (repeatable; heartbeat shows heartbeats)")
      ->type_name("TYPE")
      ->delimiter(',');
  command
      .add_option("--match", flags.matches,
                  "only events whose data has KEY=VALUE (dotted KEY: data.status=online; "
                  "repeatable, all must hold)")
      ->type_name("KEY=VALUE");
  command.add_option("--count", flags.count, "exit 0 after N counted events")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            int64_t value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc() || end != text.data() + text.size()) return "not a number";
            return value < 1 ? "must be at least 1" : "";
          },
          "N", "count"));
  command.add_option("--last-event-id", flags.last_event_id, "resume after this event id")
      ->type_name("ID");
  command.add_flag("--no-follow", flags.no_follow,
                   "with --last-event-id: print what the log has after ID, then exit 0");
  command.add_flag("--no-reconnect", flags.no_reconnect,
                   "stop when the stream ends instead of reconnecting");
  command
      .add_option("--connect-timeout", flags.connect_timeout,
                  "how long one connection attempt may take (default 10s)")
      ->type_name("DUR");
}

StreamWatch::StreamWatch(Context& ctx, std::string command, const WatchFlags& flags, int64_t need,
                         std::optional<std::chrono::milliseconds> timeout)
    : ctx_(ctx), command_(std::move(command)), flags_(flags), need_(need), timeout_(timeout) {
  if (timeout_) deadline_ms_ = SystemClock::instance().steady_ms() + timeout_->count();
  const std::vector<Channel> channels = parse_streams(flags.streams);
  if (!flags.room.empty() && !has(channels, Channel::kChat)) {
    fail(kExitUsage, "--room only applies to the chat stream");
  }
  if (!flags.entity_type.empty() && !has(channels, Channel::kRealtime)) {
    fail(kExitUsage, "--entity-type only applies to the realtime stream");
  }
  if (channels.size() > 1 && ctx.out().format() == OutputFormat::kRaw) {
    fail(kExitUsage, "-o raw is one stream's wire form; tail one stream, or use -o json");
  }
  if (flags.no_follow && flags.last_event_id.empty()) {
    fail(kExitUsage, "--no-follow needs --last-event-id ID (it prints what came after ID)");
  }
  if (!flags.last_event_id.empty() && !all_digits(flags.last_event_id)) {
    fail(kExitUsage,
         fmt::format("--last-event-id '{}': event ids are numbers", flags.last_event_id));
  }
  auto connect = parse_duration(flags.connect_timeout);
  if (!connect) fail(kExitUsage, fmt::format("--connect-timeout: {}", connect.message()));
  if (connect->count() <= 0) fail(kExitUsage, "--connect-timeout must be more than 0");
  connect_timeout_ = *connect;
  filter_ = std::make_unique<EventFilter>(flags.events, flags.matches, channels);
  for (Channel channel : channels) {
    std::string path(api::stream_path(channel));
    if (channel == Channel::kChat && !flags.room.empty()) {
      path += fmt::format("?{}={}", api::kRoomParam, url_encode(flags.room));
    }
    if (channel == Channel::kRealtime && !flags.entity_type.empty()) {
      path += fmt::format("?{}={}", api::kEntityTypeParam, url_encode(flags.entity_type));
    }
    targets_.push_back({channel, std::move(path)});
  }
  if (!flags.room.empty()) own_user_id_ = user_of(ctx.token());
  find_start_id();
}

StreamWatch::~StreamWatch() = default;

void StreamWatch::find_start_id() {
  start_id_ = flags_.last_event_id;
  ClientOptions options = ctx_.client_options();
  options.timeout = connect_timeout_;
  if (deadline_ms_) {
    const int64_t left = std::max<int64_t>(*deadline_ms_ - SystemClock::instance().steady_ms(), 1);
    options.timeout = std::min(options.timeout, std::chrono::milliseconds(left));
  }
  auto status = HttpClient(options).get(std::string(api::kStatusPath));
  if (!status) fail_for(WatchOutcome{WatchOutcome::kRefused, status.error(), 0});
  auto object = parse_json_object(status->body);
  const std::string newest = object ? field_text(*object, "lastEventId") : "";
  if (!all_digits(newest)) return;  // a server that does not say: "from now" is all there is
  if (start_id_.empty()) {
    start_id_ = newest;
  } else if (std::stoull(start_id_) > std::stoull(newest)) {
    fail(kExitBadInput,
         fmt::format("--last-event-id {} is past the server's newest event ({}); use an id it "
                     "gave out, or 0 for everything it still has",
                     start_id_, newest));
  }
}

std::string StreamWatch::progress(int64_t counted) const {
  if (need_ > 0) return fmt::format("{} of {} events", counted, need_);
  return fmt::format("{} events", counted);
}

// One stream's subscription, on its own thread: the subscriber's callbacks,
// and what only this stream knows (its last id, its own chat arrival).
class StreamWatch::Follower {
 public:
  // What the follower shares with the watch and the other streams.
  struct Wiring {
    const StreamWatch& watch;
    Shared& shared;
    const std::function<bool()>& keep_going;
    std::function<void()> on_first_open;  // called once, at this stream's first open
    std::atomic<size_t>& caught_up;       // streams whose replay is done (--no-follow)
    std::atomic<bool>& output_closed;
  };

  Follower(Wiring wiring, const Target& target) : c_(std::move(wiring)), target_(target) {}

  SubscribeOutcome run() {
    const StreamWatch& watch = c_.watch;
    HttpSseConnector connector(watch.ctx_.client_options(watch.connect_timeout_), target_.path);
    RealSleeper sleeper;
    SubscriberOptions options;
    options.reconnect = !watch.flags_.no_reconnect;
    options.last_event_id = watch.start_id_;
    options.deadline_ms = watch.deadline_ms_;
    options.connect_timeout_ms = watch.connect_timeout_.count();
    last_id_ = watch.start_id_;
    SubscriberCallbacks callbacks;
    callbacks.on_event = [this](const wire::ParsedEvent& event) { return on_event(event); };
    callbacks.on_comment = [this](std::string_view text) { return on_comment(text); };
    callbacks.on_open = [this](const StreamOpenInfo& info) { on_open(info); };
    callbacks.on_reconnecting = [this](const ReconnectInfo& info) {
      out().notice(fmt::format("{}: {}; reconnecting in {:.1f}s", name(), info.reason,
                               static_cast<double>(info.delay_ms) / 1000.0));
    };
    callbacks.keep_going = [this] { return keep_going(); };
    SseSubscriber subscriber(connector, SystemClock::instance(), sleeper, options, callbacks);
    return subscriber.run();
  }

 private:
  const Output& out() const { return c_.watch.ctx_.out(); }
  std::string name() const { return std::string(channel_name(target_.channel)); }

  bool on_event(const wire::ParsedEvent& event) {
    // Heartbeats and farewells carry no id: an unchanged id means this event had none.
    const bool has_id = !event.last_event_id.empty() && event.last_event_id != last_id_;
    last_id_ = event.last_event_id;
    auto parsed = parse_json_object(event.data);
    const Poco::JSON::Object::Ptr data = parsed ? *parsed : Poco::JSON::Object::Ptr();
    if (is_own_presence(event.type, data)) return !c_.shared.stopping();
    return c_.shared.on_event(target_.channel, event, data, has_id);
  }

  // The server announcing this very stream in its room (the first own
  // user-joined after an open), or, replayed after a reconnect, the
  // departure of the connection it replaced (the first own user-left before that).
  bool is_own_presence(const std::string& type, const Poco::JSON::Object::Ptr& data) {
    if (!own_arrival_pending_ || field_text(data, "userId") != c_.watch.own_user_id_) return false;
    if (type == ev::kUserLeft && own_departure_pending_) {
      own_departure_pending_ = false;
      return true;
    }
    if (type != ev::kUserJoined) return false;
    own_arrival_pending_ = own_departure_pending_ = false;
    return true;
  }

  bool on_comment(std::string_view text) {
    if (text != wire::kCaughtUpComment || !c_.watch.flags_.no_follow) return true;
    c_.caught_up.fetch_add(1);
    return false;  // this stream's replay is done
  }

  void on_open(const StreamOpenInfo& info) {
    // Opening a room's chat stream announces its user there, once per open.
    own_arrival_pending_ = target_.channel == Channel::kChat && !c_.watch.own_user_id_.empty();
    own_departure_pending_ = own_arrival_pending_ && info.attempt > 1;
    if (info.attempt > 1) {
      out().notice(info.last_event_id.empty()
                       ? fmt::format("reconnected to {}", target_.path)
                       : fmt::format("reconnected to {}, resuming after event {}", target_.path,
                                     info.last_event_id));
    } else {
      out().trace(fmt::format("connected to {}", target_.path));
    }
    if (info.replay == "incomplete") {
      out().warn(
          fmt::format("{}: the server no longer has every event after {}: some events were lost "
                      "(X-SSE-Replay: incomplete)",
                      name(), info.last_event_id));
    }
    if (c_.on_first_open) std::exchange(c_.on_first_open, nullptr)();
  }

  bool keep_going() {
    if (Output::stdout_closed()) {
      c_.output_closed = true;
      c_.shared.stop();
    }
    return !c_.shared.stopping() && (!c_.keep_going || c_.keep_going());
  }

  Wiring c_;
  const Target& target_;
  std::string last_id_;
  bool own_arrival_pending_ = false;
  bool own_departure_pending_ = false;
};

WatchOutcome StreamWatch::run(const std::function<void()>& on_open,
                              const std::function<bool()>& keep_going) {
  Shared shared(ctx_.out(), *filter_, need_, targets_.size() > 1, !flags_.no_reconnect);
  std::atomic<size_t> opened{0};
  std::atomic<size_t> caught_up{0};
  std::atomic<bool> output_closed{false};
  std::vector<SubscribeOutcome> outcomes(targets_.size());
  auto follow = [&](size_t index) {
    auto first_open = [&] {
      if (opened.fetch_add(1) + 1 == targets_.size() && on_open) on_open();
    };
    Follower follower({*this, shared, keep_going, first_open, caught_up, output_closed},
                      targets_[index]);
    try {
      outcomes[index] = follower.run();
      const SubscribeEnd end = outcomes[index].end;
      if (end == SubscribeEnd::kRefused || end == SubscribeEnd::kFailed) shared.stop();
    } catch (const Failure& failure) {
      shared.fail_with(failure);
    } catch (const std::exception& e) {
      shared.fail_with(Failure{kExitFailure, fmt::format("internal error: {}", e.what())});
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < targets_.size(); ++i) threads.emplace_back(follow, i);
  for (std::thread& thread : threads) thread.join();

  WatchOutcome outcome;
  outcome.counted = shared.counted();
  if (auto failure = shared.failure()) throw *failure;
  if (output_closed) {
    fail(kExitOutputClosed,
         fmt::format("stdout was closed; stopped after {}", progress(outcome.counted)));
  }
  if (shared.counted_all()) {
    outcome.end = WatchOutcome::kCounted;
    return outcome;
  }
  if (flags_.no_follow && caught_up.load() == targets_.size()) {
    outcome.end = WatchOutcome::kCaughtUp;
    return outcome;
  }
  // Otherwise the stream that ended worst decides: a refusal, then the
  // deadline, then a stop, then a clean close.
  auto rank = [](SubscribeEnd end) {
    switch (end) {
      case SubscribeEnd::kRefused:
      case SubscribeEnd::kFailed:
        return 0;
      case SubscribeEnd::kDeadline:
        return 1;
      case SubscribeEnd::kStopped:
        return 2;
      case SubscribeEnd::kClosed:
        break;
    }
    return 3;
  };
  const SubscribeOutcome& worst = *std::min_element(
      outcomes.begin(), outcomes.end(), [&](const SubscribeOutcome& a, const SubscribeOutcome& b) {
        return rank(a.end) < rank(b.end);
      });
  static constexpr WatchOutcome::End kByRank[] = {WatchOutcome::kRefused, WatchOutcome::kDeadline,
                                                  WatchOutcome::kStopped, WatchOutcome::kClosed};
  outcome.end = kByRank[rank(worst.end)];
  outcome.error = worst.error;
  return outcome;
}

void StreamWatch::fail_for(const WatchOutcome& outcome) const {
  const std::string& what = command_;
  const std::string progress = this->progress(outcome.counted);
  const std::string timed_out =
      fmt::format("{} timed out after {} with {}; raise --timeout", what,
                  timeout_ ? format_duration(*timeout_) : "its timeout", progress);
  switch (outcome.end) {
    case WatchOutcome::kDeadline:
      fail(kExitTimeout, timed_out);
    case WatchOutcome::kRefused:
      if (outcome.error->kind == ClientErrorKind::kTimeout) {
        // Each request had min(--connect-timeout, what --timeout left): say which ran out.
        if (deadline_ms_ && SystemClock::instance().steady_ms() >= *deadline_ms_) {
          fail(kExitTimeout, timed_out);
        }
        fail(kExitUnavailable,
             fmt::format("no answer from the server within --connect-timeout {}; raise "
                         "--connect-timeout or check the server",
                         format_duration(connect_timeout_)));
      }
      ctx_.fail_request(*outcome.error);
    case WatchOutcome::kClosed:
      fail(kExitUnavailable, fmt::format("the server closed the stream after {}", progress));
    case WatchOutcome::kCounted:
    case WatchOutcome::kCaughtUp:
    case WatchOutcome::kStopped:
      break;
  }
  fail(kExitFailure, fmt::format("{} stopped after {}", what, progress));
}

}  // namespace sse::cli
