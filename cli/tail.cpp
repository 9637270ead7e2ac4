// ssectl tail: follow one stream, print matching events as they come
// (flushed per event), reconnect with backoff and Last-Event-ID.

#include <fmt/format.h>

#include "commands.hpp"
#include "sse/api/contract.hpp"
#include "sse/client/http_sse_connector.hpp"
#include "sse/client/sse_subscriber.hpp"
#include "sse/client/url.hpp"
#include "tail_format.hpp"

namespace sse::cli {
namespace {

struct TailFlags {
  std::string channel;  // the STREAM argument: a channel name
  std::string room;
  std::string entity_type;
  std::vector<std::string> events;
  int64_t count = 0;
  std::string last_event_id;
  bool no_reconnect = false;
};

std::string target_for(const TailFlags& flags) {
  if (!flags.room.empty() && flags.channel != "chat")
    fail(kExitUsage, "--room only applies to tail chat");
  if (!flags.entity_type.empty() && flags.channel != "realtime") {
    fail(kExitUsage, "--entity-type only applies to tail realtime");
  }
  const std::optional<Channel> channel = parse_channel(flags.channel);
  if (!channel) fail(kExitUsage, fmt::format("unknown stream '{}'", flags.channel));
  std::string target(api::stream_path(*channel));
  if (!flags.room.empty()) target += fmt::format("?{}={}", api::kRoomParam, url_encode(flags.room));
  if (!flags.entity_type.empty()) {
    target += fmt::format("?{}={}", api::kEntityTypeParam, url_encode(flags.entity_type));
  }
  return target;
}

class Printer {
 public:
  Printer(const Context& ctx, const TailFlags& flags) : out_(ctx.out()), flags_(flags) {}

  // Prints `event` if it passes the filter; false once --count events are out.
  bool on_event(const wire::ParsedEvent& event) {
    // Heartbeats carry no id: an unchanged id means this event had none.
    const bool has_id = !event.last_event_id.empty() && event.last_event_id != last_id_;
    last_id_ = event.last_event_id;
    if (!wanted(event.type)) return true;
    switch (out_.format()) {
      case OutputFormat::kText:
        out_.print(format_event_text(event, out_));
        break;
      case OutputFormat::kJson:
        out_.print(format_event_json(event, has_id));
        break;
      case OutputFormat::kRaw:
        out_.write(format_event_raw(event, has_id));
        break;
    }
    ++printed_;
    return flags_.count <= 0 || printed_ < flags_.count;
  }

  void set_last_id(std::string id) { last_id_ = std::move(id); }
  int64_t printed() const { return printed_; }

 private:
  bool wanted(const std::string& type) const {
    if (flags_.events.empty()) return type != "heartbeat";
    return std::find(flags_.events.begin(), flags_.events.end(), type) != flags_.events.end();
  }

  const Output& out_;
  const TailFlags& flags_;
  std::string last_id_;
  int64_t printed_ = 0;
};

int run_tail(Context& ctx, const TailFlags& flags) {
  const std::string target = target_for(flags);
  const auto& timeout = ctx.settings().timeout;
  // Connecting gets at most 10 s (or the whole --timeout, if shorter).
  ClientOptions options = ctx.client_options(std::chrono::seconds(10));
  if (timeout) options.timeout = std::min(*timeout, std::chrono::milliseconds(10000));
  HttpSseConnector connector(options, target);
  RealSleeper sleeper;
  const Clock& clock = SystemClock::instance();

  SubscriberOptions sub;
  sub.reconnect = !flags.no_reconnect;
  sub.last_event_id = flags.last_event_id;
  if (timeout) sub.deadline_ms = clock.steady_ms() + timeout->count();

  Printer printer(ctx, flags);
  printer.set_last_id(flags.last_event_id);
  const Output& out = ctx.out();
  SubscriberCallbacks callbacks;
  callbacks.on_event = [&printer](const wire::ParsedEvent& event) {
    return printer.on_event(event);
  };
  callbacks.on_open = [&out, &target](const StreamOpenInfo& info) {
    if (info.attempt > 1) {
      out.notice(info.last_event_id.empty()
                     ? fmt::format("reconnected to {}", target)
                     : fmt::format("reconnected to {}, resuming after event {}", target,
                                   info.last_event_id));
    } else {
      out.trace(fmt::format("connected to {}", target));
    }
    if (info.replay == "incomplete") {
      out.warn(
          fmt::format("the server no longer has every event after {}: some events were lost "
                      "(X-SSE-Replay: incomplete)",
                      info.last_event_id));
    }
  };
  callbacks.on_reconnecting = [&out](const ReconnectInfo& info) {
    out.notice(fmt::format("{}; reconnecting in {:.1f}s", info.reason, info.delay_ms / 1000.0));
  };

  SseSubscriber subscriber(connector, clock, sleeper, sub, callbacks);
  const SubscribeOutcome outcome = subscriber.run();
  const std::string progress = flags.count > 0
                                   ? fmt::format("{} of {} events", printer.printed(), flags.count)
                                   : fmt::format("{} events", printer.printed());
  switch (outcome.end) {
    case SubscribeEnd::kStopped:
      return kExitOk;
    case SubscribeEnd::kDeadline:
      fail(kExitTimeout,
           fmt::format("timed out after {} with {}; raise --timeout",
                       ctx.flags.timeout.empty() ? "the timeout" : ctx.flags.timeout, progress));
    case SubscribeEnd::kRefused:
    case SubscribeEnd::kFailed:
      ctx.fail_request(*outcome.error);
    case SubscribeEnd::kClosed:
      if (flags.count > 0) {
        fail(kExitUnavailable, fmt::format("the server closed the stream after {}", progress));
      }
      return kExitOk;
  }
  return kExitFailure;
}

}  // namespace

void add_tail_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<TailFlags>();
  auto* tail = app.add_subcommand("tail", "follow a stream and print its events");
  tail->add_option("STREAM", flags->channel, "notifications, realtime, chat or status")
      ->required()
      ->check(CLI::IsMember(channel_names()));
  tail->add_option("--room", flags->room, "chat: only this room")->type_name("R");
  tail->add_option("--entity-type", flags->entity_type, "realtime: only this entity type")
      ->type_name("T");
  tail->add_option("--event", flags->events,
                   "only events of TYPE (repeatable; heartbeat shows heartbeats)")
      ->type_name("TYPE")
      ->delimiter(',');
  tail->add_option("--count", flags->count, "exit 0 after N matching events")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  tail->add_option("--last-event-id", flags->last_event_id, "resume after this event id")
      ->type_name("ID");
  tail->add_flag("--no-reconnect", flags->no_reconnect,
                 "stop when the stream ends instead of reconnecting");
  tail->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_tail(ctx, *flags); }; });
}

}  // namespace sse::cli
