// ssectl status [--wait DUR]: liveness, readiness and the status snapshot;
// --wait polls /ready until the server is ready (for CI jobs).

#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "json_util.hpp"
#include "sse/api/contract.hpp"
#include "sse/config/duration.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/json.hpp"

namespace sse::cli {
namespace {

constexpr int64_t kPollMs = 200;

struct StatusFlags {
  std::string wait;
};

// Polls /ready until 200; network failures and 503 are retried until the deadline.
void wait_until_ready(Context& ctx, const std::string& wait_text) {
  auto wait = parse_duration(wait_text);
  if (!wait) fail(kExitUsage, fmt::format("--wait: {}", wait.message()));
  const Clock& clock = SystemClock::instance();
  const int64_t deadline = clock.steady_ms() + wait->count();
  ClientOptions options = ctx.client_options(std::chrono::seconds(2));
  std::string last_problem = "no answer";
  for (;;) {
    const int64_t left = deadline - clock.steady_ms();
    options.timeout = std::chrono::milliseconds(std::clamp<int64_t>(left, 1, 2000));
    auto ready = HttpClient(options).get(std::string(api::kReadyPath));
    if (ready) return;
    const ClientError& error = ready.error();
    const bool transient = error.kind == ClientErrorKind::kUnreachable ||
                           error.kind == ClientErrorKind::kTimeout ||
                           (error.kind == ClientErrorKind::kHttp && error.status == 503);
    if (!transient) ctx.fail_request(error);
    last_problem = error.kind == ClientErrorKind::kHttp ? "not ready (503)" : error.message;
    if (clock.steady_ms() + kPollMs >= deadline) {
      fail(kExitTimeout, fmt::format("the server was not ready within {} ({}); raise --wait",
                                     wait_text, last_problem));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
}

std::string describe(const Poco::Dynamic::Var& value) {
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    std::string text;
    for (const auto& [key, inner] : *object) {
      text += fmt::format("{}{}={}", text.empty() ? "" : " ", key, describe(inner));
    }
    return text;
  }
  return value.isString() ? value.extract<std::string>() : to_json(value);
}

int run_status(Context& ctx, const StatusFlags& flags) {
  if (!flags.wait.empty()) wait_until_ready(ctx, flags.wait);
  HttpClient client = ctx.client();
  auto health = client.get(std::string(api::kHealthPath));
  if (!health) ctx.fail_request(health.error());
  auto ready = client.get(std::string(api::kReadyPath));
  bool is_ready = true;
  if (!ready) {
    if (ready.error().kind != ClientErrorKind::kHttp || ready.error().status != 503) {
      ctx.fail_request(ready.error());
    }
    is_ready = false;
  }
  auto snapshot = client.get(std::string(api::kStatusPath));
  if (!snapshot) ctx.fail_request(snapshot.error());
  const std::string body = trim_trailing_newlines(snapshot->body);
  auto status = parse_json_object(body);
  if (!status) fail(kExitProtocol, "status: /system/status did not answer a JSON object");

  switch (ctx.out().format()) {
    case OutputFormat::kRaw:
      ctx.out().print(body);
      break;
    case OutputFormat::kJson:
      // lastEventId on top too: a script records "now" with
      // `ssectl status -o json | jq -r .lastEventId`, then tails from it.
      ctx.out().print(
          fmt::format(R"({{"server":{},"healthy":true,"ready":{},"lastEventId":{},"status":{}}})",
                      json_quote(ctx.settings().url.to_string()), is_ready ? "true" : "false",
                      json_quote(field_text(*status, "lastEventId")), body));
      break;
    case OutputFormat::kText: {
      const Output& out = ctx.out();
      out.print(fmt::format("server:      {}", ctx.settings().url.to_string()));
      out.print(fmt::format("health:      {}", out.paint("ok", ansi::kGreen)));
      out.print(fmt::format("ready:       {}", is_ready ? out.paint("yes", ansi::kGreen)
                                                        : out.paint("no", ansi::kYellow)));
      for (const auto& [key, value] : **status) {
        out.print(fmt::format("{:<12} {}", key + ":", describe(value)));
      }
      break;
    }
  }
  if (!is_ready)
    fail(kExitUnavailable, "the server is up but not ready yet; try ssectl status --wait 30s");
  return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<StatusFlags>();
  auto* status = app.add_subcommand("status", "show health, readiness and the status snapshot");
  status->add_option("--wait", flags->wait, "first wait up to DUR for the server to be ready")
      ->type_name("DUR");
  status->callback(
      [&ctx, flags] { ctx.action = [&ctx, flags] { return run_status(ctx, *flags); }; });
}

}  // namespace sse::cli
