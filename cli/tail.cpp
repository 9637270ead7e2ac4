// ssectl tail: follow one or several streams, print matching events as
// they come (flushed per event), reconnect with backoff and Last-Event-ID.
// What is printed and counted: stream_watch.hpp.

#include "commands.hpp"
#include "stream_watch.hpp"

namespace sse::cli {
namespace {

int run_tail(Context& ctx, const WatchFlags& flags) {
  StreamWatch watch(ctx, "tail", flags, flags.count, ctx.settings().timeout);
  const WatchOutcome outcome = watch.run({}, {});
  switch (outcome.end) {
    case WatchOutcome::kCounted:
    case WatchOutcome::kCaughtUp:
      return kExitOk;
    case WatchOutcome::kClosed:
      if (flags.count == 0) return kExitOk;  // --no-reconnect, and nothing else asked for
      break;
    default:
      break;
  }
  watch.fail_for(outcome);
}

}  // namespace

void add_tail_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<WatchFlags>();
  auto* tail = app.add_subcommand("tail", "follow streams and print their events");
  add_watch_options(*tail, *flags);
  tail->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_tail(ctx, *flags); }; });
}

}  // namespace sse::cli
