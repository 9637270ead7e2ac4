#include "sse-bench/options.hpp"

#include <CLI/CLI.hpp>

#include "sse/config/duration.hpp"

namespace sse::bench {
namespace {

Error flag_error(const std::string& flag, const std::string& message) {
  return Error::invalid_argument(flag + ": " + message);
}

Result<std::chrono::milliseconds> duration_flag(const std::string& flag, const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed) {
    return flag_error(flag, parsed.message() + " (durations look like 500ms, 30s, 2m or 10)");
  }
  return *parsed;
}

// "Name: value" with a non-empty name and no line breaks.
Result<Template> header_flag(const std::string& flag, const std::string& text,
                             PlaceholderSet allowed) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || text.find_first_of(" \t") < colon) {
    return flag_error(flag, "expected 'Name: value', got '" + text + "'");
  }
  if (text.find_first_of("\r\n") != std::string::npos) {
    return flag_error(flag, "a header must be one line: '" + text + "'");
  }
  auto parsed = Template::parse(text, allowed);
  if (!parsed) return flag_error(flag, parsed.message());
  return parsed;
}

Result<std::vector<Template>> header_flags(const std::string& flag,
                                           const std::vector<std::string>& texts,
                                           PlaceholderSet allowed) {
  std::vector<Template> headers;
  for (const auto& text : texts) {
    auto header = header_flag(flag, text, allowed);
    if (!header) return header.error();
    headers.push_back(std::move(*header));
  }
  return headers;
}

bool is_token(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

Result<PublishSettings> publish_settings(const Options& o, bool duration_given) {
  PublishSettings p;
  auto url = parse_target(o.publish_url, kPublishPlaceholders);
  if (!url) return flag_error("--publish-url", url.message());
  p.url = std::move(*url);
  if (!is_token(o.publish_method)) {
    return flag_error("--publish-method", "not an HTTP method: '" + o.publish_method + "'");
  }
  p.method = o.publish_method;
  auto headers = header_flags("--publish-header", o.publish_headers, kPublishPlaceholders);
  if (!headers) return headers.error();
  p.headers = std::move(*headers);
  auto body = Template::parse(o.body.value_or("{stamp}"), kPublishPlaceholders);
  if (!body) return flag_error("--body", body.message());
  p.body = std::move(*body);

  PlaceholderSet uses = p.url.path.uses() | p.body.uses();
  for (const auto& h : p.headers) uses |= h.uses();
  if (!(uses & kStampPlaceholder)) {
    return flag_error("--body",
                      "no publish carries {stamp}, so no delivery could be counted; "
                      "put {stamp} in the body (default: --body '{stamp}')");
  }
  if (o.rate < 0) return flag_error("--rate", "must not be negative");
  p.rate = o.rate;
  p.count = o.count;
  if (duration_given || o.count == 0) {
    auto duration = duration_flag("--duration", o.duration.value_or("10s"));
    if (!duration) return duration.error();
    p.duration = *duration;
  }
  if (o.publish_connections < 1 || o.publish_connections > 4096) {
    return flag_error("--publish-connections", "must be 1..4096");
  }
  p.connections = o.publish_connections;
  p.pick = o.pick == "random" ? Pick::kRandom : Pick::kRoundRobin;
  return p;
}

}  // namespace

void add_options(CLI::App& app, Options& o) {
  const char* subscribers = "Subscribers";
  app.add_option("--url", o.url, "subscribe URL http://host:port/path?query; {i} {ch} {b64:TEXT}")
      ->required()
      ->type_name("TEMPLATE")
      ->group(subscribers);
  app.add_option("-n,--connections", o.connections, "subscribers (default 100)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}))
      ->type_name("N")
      ->group(subscribers);
  app.add_option("--channels", o.channels, "channels; subscriber i is on i % K (default 1)")
      ->check(CLI::Range(uint32_t{1}, uint32_t{10'000'000}))
      ->type_name("K")
      ->group(subscribers);
  app.add_option("-H,--header", o.headers, "extra subscriber header 'Name: value' (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TEMPLATE")
      ->group(subscribers);
  app.add_option("--connect-rate", o.connect_rate, "new connections per second, 0: all at once")
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("R")
      ->group(subscribers);
  app.add_option("--connect-timeout", o.connect_timeout,
                 "wait this long for all to be established, after the last is started (30s)")
      ->type_name("DUR")
      ->group(subscribers);
  app.add_option("--source-addresses", o.source_addresses,
                 "bind connection i to 127.0.0.(2 + i % K); 0: no bind (default: auto)")
      ->check(CLI::Range(0, 253))
      ->type_name("K")
      ->group(subscribers);
  app.add_flag("--reconnect", o.reconnect, "reconnect an ended stream at once, with Last-Event-ID")
      ->group(subscribers);
  app.add_option("--threads", o.threads, "subscriber epoll loops (default 1)")
      ->check(CLI::Range(1, 256))
      ->type_name("T")
      ->group(subscribers);

  const char* publisher = "Publisher";
  app.add_option("--publish-url", o.publish_url, "publish URL; {ch} {seq}; none: subscribe only")
      ->type_name("TEMPLATE")
      ->group(publisher);
  app.add_option("--publish-method", o.publish_method, "HTTP method (default POST)")
      ->type_name("M")
      ->group(publisher);
  app.add_option("--publish-header", o.publish_headers, "publish header 'Name: value' (repeatable)")
      ->allow_extra_args(false)
      ->type_name("TEMPLATE")
      ->group(publisher);
  app.add_option("--body", o.body, "publish body; {stamp} {ch} {seq} (default '{stamp}')")
      ->type_name("TEMPLATE")
      ->group(publisher);
  app.add_option("--rate", o.rate, "publishes per second, 0: as fast as answered (default 100)")
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("R")
      ->group(publisher);
  app.add_option("--count", o.count, "stop after N publishes")->type_name("N")->group(publisher);
  app.add_option("--duration", o.duration,
                 "publish (or, without --publish-url, hold) this long (default 10s)")
      ->type_name("DUR")
      ->group(publisher);
  app.add_option("--publish-connections", o.publish_connections,
                 "keep-alive publish connections (default 4)")
      ->type_name("C")
      ->group(publisher);
  app.add_option("--pick", o.pick, "channel of each publish: round-robin or random")
      ->check(CLI::IsMember({"round-robin", "random"}))
      ->type_name("HOW")
      ->group(publisher);
  app.add_option("--warmup", o.warmup, "wait after connecting, before publishing (1s)")
      ->type_name("DUR")
      ->group(publisher);
  app.add_option("--drain", o.drain, "wait up to this for deliveries after the last publish (5s)")
      ->type_name("DUR")
      ->group(publisher);

  const char* output = "Measuring and output";
  app.add_option("--server-pid", o.server_pids,
                 "server process to measure (CPU, RSS); repeatable, summed")
      ->allow_extra_args(false)
      ->check(CLI::Range(1, 1 << 30))
      ->type_name("PID")
      ->group(output);
  app.add_option("--progress", o.progress, "progress line on stderr: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN")
      ->group(output);
  app.add_flag("--json", o.json, "print the report as one JSON object")->group(output);
  app.add_flag("--strict", o.strict, "exit 1 if anything was lost, duplicated or misrouted")
      ->group(output);
}

Result<Settings> make_settings(const Options& o, bool duration_given) {
  Settings s;
  auto url = parse_target(o.url, kSubscriberPlaceholders);
  if (!url) return flag_error("--url", url.message());
  s.url = std::move(*url);
  auto headers = header_flags("--header", o.headers, kSubscriberPlaceholders);
  if (!headers) return headers.error();
  s.headers = std::move(*headers);
  s.connections = o.connections;
  s.channels = o.channels;
  s.connect_rate = o.connect_rate;
  auto connect_timeout = duration_flag("--connect-timeout", o.connect_timeout);
  if (!connect_timeout) return connect_timeout.error();
  s.connect_timeout = *connect_timeout;
  s.source_addresses = o.source_addresses;
  s.reconnect = o.reconnect;
  s.threads = o.threads;

  const bool publishing = !o.publish_url.empty();
  if (!publishing) {
    const char* needs = !o.publish_headers.empty() ? "--publish-header"
                        : o.body                   ? "--body"
                        : o.count > 0              ? "--count"
                                                   : nullptr;
    if (needs != nullptr) return flag_error(needs, "needs --publish-url");
    auto duration = duration_flag("--duration", o.duration.value_or("10s"));
    if (!duration) return duration.error();
    s.duration = *duration;
  } else {
    auto publish = publish_settings(o, duration_given);
    if (!publish) return publish.error();
    s.publish = std::move(*publish);
  }
  auto warmup = duration_flag("--warmup", o.warmup);
  if (!warmup) return warmup.error();
  s.warmup = *warmup;
  auto drain = duration_flag("--drain", o.drain);
  if (!drain) return drain.error();
  s.drain = *drain;

  s.server_pids = o.server_pids;
  s.progress = o.progress == "always"  ? ProgressMode::kAlways
               : o.progress == "never" ? ProgressMode::kNever
                                       : ProgressMode::kAuto;
  s.json = o.json;
  s.strict = o.strict;
  return s;
}

int sources_for(const Settings& s, bool target_is_loopback_v4) {
  if (s.source_addresses >= 0) return s.source_addresses;
  constexpr uint64_t kPerAddress = 20000;
  if (!target_is_loopback_v4 || s.connections <= kPerAddress) return 0;
  return static_cast<int>((s.connections + kPerAddress - 1) / kPerAddress);
}

uint64_t descriptors_needed(const Settings& s) {
  const uint64_t publish = s.publish ? static_cast<uint64_t>(s.publish->connections) : 0;
  // Per loop an epoll and an eventfd; stdio, the resolver, /proc reads.
  return s.connections + publish + 4 * static_cast<uint64_t>(s.threads) + 64;
}

}  // namespace sse::bench
