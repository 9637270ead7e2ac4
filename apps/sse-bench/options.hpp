#pragma once

// sse-bench's command line: the flags as given (Options, filled by CLI11) and
// the checked settings a run needs (Settings: templates parsed, durations
// read). man sse-bench(1) describes every flag.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sse-bench/target.hpp"
#include "sse-bench/template.hpp"
#include "sse/util/result.hpp"

namespace CLI {
class App;
}

namespace sse::bench {

// The flags as strings and numbers, before any check but CLI11's.
struct Options {
  std::string url;
  uint64_t connections = 100;
  uint32_t channels = 1;
  std::vector<std::string> headers;
  double connect_rate = 0;
  std::string connect_timeout = "30s";
  int source_addresses = -1;  // -1: not given (automatic)
  bool reconnect = false;
  int threads = 1;

  std::string publish_url;
  std::string publish_method = "POST";
  std::vector<std::string> publish_headers;
  std::optional<std::string> body;
  double rate = 100;
  uint64_t count = 0;
  std::optional<std::string> duration;
  int publish_connections = 4;
  std::string pick = "round-robin";
  std::string warmup = "1s";
  std::string drain = "5s";

  std::vector<pid_t> server_pids;
  std::string progress = "auto";
  bool json = false;
  bool strict = false;
};

// Adds every flag to `app`, bound to `options` (which must outlive it).
void add_options(CLI::App& app, Options& options);

enum class Pick { kRoundRobin, kRandom };
enum class ProgressMode { kAuto, kAlways, kNever };

struct PublishSettings {
  Target url;
  std::string method;
  std::vector<Template> headers;
  Template body;
  double rate = 0;                                    // publishes per second; 0: closed loop
  uint64_t count = 0;                                 // 0: no limit
  std::optional<std::chrono::milliseconds> duration;  // nullopt: no limit (--count alone)
  int connections = 4;
  Pick pick = Pick::kRoundRobin;
};

struct Settings {
  Target url;
  std::vector<Template> headers;
  uint64_t connections = 0;
  uint32_t channels = 1;
  double connect_rate = 0;
  std::chrono::milliseconds connect_timeout{0};
  int source_addresses = -1;  // -1: decide from the target (see sources_for)
  bool reconnect = false;
  int threads = 1;

  std::optional<PublishSettings> publish;  // nullopt: subscribe only
  std::chrono::milliseconds duration{0};   // subscribe-only runs: how long to hold
  std::chrono::milliseconds warmup{0};
  std::chrono::milliseconds drain{0};

  std::vector<pid_t> server_pids;
  ProgressMode progress = ProgressMode::kAuto;
  bool json = false;
  bool strict = false;
};

// Checks `options` and parses its templates and durations. `duration_given`:
// --duration was on the command line (with --count alone there is no time
// limit). Errors name the flag and quote the bad value.
Result<Settings> make_settings(const Options& options, bool duration_given);

// How many source addresses (127.0.0.2 ..) connections bind to: the flag
// when given, else ceil(N / 20000) for a loopback IPv4 target with more than
// 20,000 connections, else 0 (no bind).
int sources_for(const Settings& settings, bool target_is_loopback_v4);

// Descriptors a run needs: subscribers, publish connections, and a margin.
uint64_t descriptors_needed(const Settings& settings);

}  // namespace sse::bench
