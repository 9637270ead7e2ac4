// End-to-end: sse-bench against the real sse-server. Hundreds of subscribers,
// a couple of seconds of publishing, and the report must account for every
// delivery; bad arguments and an unreachable target give their exit codes.
// No timing bounds: the machine may be slow.

#include <csignal>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sse/util/exit_codes.hpp"
#include "support/http.hpp"
#include "support/process.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

std::string bench_bin() { return SSE_BENCH_BIN; }

// Room for hundreds of streams of one user and a publisher far over 20/s.
const ServerProcess::Env kBenchEnv = {{"SSE_HISTORY_BACKEND", "memory"},
                                      {"SSE_LIMITS_MAX_CONNECTIONS", "2000"},
                                      {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "2000"},
                                      {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                                      {"SSE_LIMITS_PUBLISH_BURST", "100000"}};

CommandResult run_bench(const ServerProcess& server, std::vector<std::string> args) {
  std::vector<std::string> argv = {bench_bin(),
                                   "--json",
                                   "--strict",
                                   "--progress",
                                   "never",
                                   "--server-pid",
                                   std::to_string(server.pid())};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run(argv, "", {}, 120s);
  INFO("stdout: " << result.out);
  INFO("stderr: " << result.err);
  return result;
}

// `connections` subscribers of /realtime/stream?entityType=bench and a
// publisher to it, as the demo user; then `extra` (rate, duration, ...).
std::vector<std::string> realtime_args(const ServerProcess& server, int connections,
                                       std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "--url",
      server.url() + "/realtime/stream?entityType=bench",
      "-n",
      std::to_string(connections),
      "-H",
      "Authorization: Bearer " + kDemoToken,
      "--publish-url",
      server.url() + "/realtime/update",
      "--publish-header",
      "Content-Type: application/json",
      "--publish-header",
      "Authorization: Bearer " + kDemoToken,
      "--body",
      R"({"entityType":"bench","entityId":"1","action":"update","data":"{stamp}"})"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

long long field(const CommandResult& result, const std::string& name) {
  return json_int(result.out, name);
}

}  // namespace

TEST_CASE("sse-bench: 300 realtime subscribers receive every publish exactly once", "[bench]") {
  ServerProcess server(kBenchEnv);
  const auto result = run_bench(
      server,
      realtime_args(server, 300, {"--rate", "50", "--duration", "2s", "--warmup", "500ms"}));
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(field(result, "connections") == 300);
  CHECK(field(result, "established") == 300);
  CHECK(field(result, "refused") == 0);
  const long long published = field(result, "published");
  CHECK(published > 0);
  CHECK(field(result, "publish_errors") == 0);
  CHECK(field(result, "expected") == published * 300);
  CHECK(field(result, "received") == field(result, "expected"));
  CHECK(field(result, "lost") == 0);
  CHECK(field(result, "duplicates") == 0);
  CHECK(field(result, "misrouted") == 0);
  CHECK(field(result, "dropped") == 0);
  // The server was measured: it holds memory and used some CPU.
  CHECK(field(result, "server_rss_kb") > 0);
  CHECK(field(result, "server_rss_kb_idle") > 0);
  CHECK(json_string(result.out, "server_cpu_total_s") != "-1.000");
}

TEST_CASE("sse-bench: ten users' notifications reach only their own streams", "[bench]") {
  ServerProcess server(kBenchEnv);
  // Subscriber i is user u<i % 10>; the admin token notifies user u<ch>.
  const auto result =
      run_bench(server, {"--url",
                         server.url() + "/notifications/stream",
                         "-n",
                         "100",
                         "--channels",
                         "10",
                         "-H",
                         "Authorization: Bearer {b64:u{ch}:User{ch}:u{ch}@bench:user}",
                         "--publish-url",
                         server.url() + "/notifications/send",
                         "--publish-header",
                         "Content-Type: application/json",
                         "--publish-header",
                         "Authorization: Bearer " + kDemoToken,
                         "--body",
                         R"({"title":"bench","message":"{stamp}","type":"info","userId":"u{ch}"})",
                         "--rate",
                         "50",
                         "--duration",
                         "2s",
                         "--warmup",
                         "500ms",
                         "--pick",
                         "random"});
  REQUIRE(result.exit_code == 0);
  CHECK(field(result, "established") == 100);
  CHECK(field(result, "channels") == 10);
  const long long published = field(result, "published");
  CHECK(published > 0);
  // Each channel is one user with ten streams.
  CHECK(field(result, "expected") == published * 10);
  CHECK(field(result, "received") == field(result, "expected"));
  CHECK(field(result, "lost") == 0);
  CHECK(field(result, "duplicates") == 0);
  CHECK(field(result, "misrouted") == 0);
}

// The restart storm at small scale: every stream is dropped by a SIGTERM,
// reconnects at once with its Last-Event-ID to the restarted server (same
// port, same SQLite log) and gets exactly the events it missed.
TEST_CASE("sse-bench: streams reconnect across a restart and miss nothing", "[bench]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS", "2000"},
                        {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "2000"},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  std::vector<std::string> argv = {bench_bin(),  "--json", "--strict",
                                   "--progress", "never",  "--reconnect"};
  for (auto& arg :
       realtime_args(server, 200,
                     {"--rate", "20", "--duration", "6s", "--warmup", "500ms", "--drain", "60s"})) {
    argv.push_back(arg);
  }
  Child bench(argv);
  REQUIRE(wait_for_streams(server.port(), 200, "", 60s));
  std::this_thread::sleep_for(1500ms);  // into the publishing phase: events before and after
  REQUIRE(server.stop(SIGTERM, 30s) == 0);
  server.restart();

  const auto code = bench.wait(180s);
  INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
  REQUIRE(code == 0);
  const std::string& out = bench.out();
  CHECK(json_int(out, "established") == 200);
  CHECK(json_int(out, "reconnects") >= 200);
  const long long published = json_int(out, "published");
  CHECK(published > 0);
  CHECK(json_int(out, "expected") == published * 200);
  CHECK(json_int(out, "received") == json_int(out, "expected"));
  CHECK(json_int(out, "lost") == 0);
  CHECK(json_int(out, "duplicates") == 0);
}

TEST_CASE("sse-bench: subscribe only holds the streams for the duration", "[bench]") {
  ServerProcess server(kBenchEnv);
  const auto result =
      run_bench(server, {"--url", server.url() + "/chat/stream?room=bench", "-n", "50", "-H",
                         "Authorization: Bearer " + kDemoToken, "--duration", "1s"});
  REQUIRE(result.exit_code == 0);
  CHECK(field(result, "established") == 50);
  CHECK(field(result, "published") == 0);
  CHECK(field(result, "expected") == 0);
  // user-joined presence events carry no stamp: counted as other events.
  CHECK(field(result, "other_events") > 0);
}

TEST_CASE("sse-bench: refused streams are counted by status", "[bench]") {
  ServerProcess server({{"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "5"}});
  const auto result =
      run_bench(server, {"--url", server.url() + "/realtime/stream", "-n", "8", "-H",
                         "Authorization: Bearer " + kDemoToken, "--duration", "200ms"});
  REQUIRE(result.exit_code == 0);
  CHECK(field(result, "established") == 5);
  CHECK(field(result, "refused") == 3);
  CHECK_THAT(result.out, Catch::Contains(R"("refused_by_status":{"429":3})"));
}

TEST_CASE("sse-bench: nothing listening is exit 69", "[bench]") {
  int port = 0;
  {
    ServerProcess server;
    port = server.port();
    REQUIRE(server.stop(SIGTERM) == 0);
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const auto result = run({bench_bin(), "--url", base + "/realtime/stream", "-n", "3", "--json",
                           "--progress", "never", "--duration", "100ms"},
                          "", {}, 60s);
  INFO(result.out << result.err);
  CHECK(result.exit_code == sse::kExitUnavailable);
  CHECK(json_int(result.out, "established") == 0);
  CHECK_THAT(result.out, Catch::Contains(R"("connect_error":3)"));
  CHECK_THAT(result.err, Catch::Contains("sse-bench: no subscriber could be established"));
}

TEST_CASE("sse-bench: bad arguments are exit 64 with a message", "[bench]") {
  const std::string url = "http://127.0.0.1:1/realtime/stream";
  const std::vector<std::vector<std::string>> cases = {
      {},                                                    // --url is required
      {"--url", url, "--no-such-flag"},                      // unknown flag
      {"--url", url + "?x={nope}"},                          // unknown placeholder
      {"--url", url, "-H", "X: {b64:abc"},                   // unbalanced brace
      {"--url", url, "-n", "0"},                             // out of range
      {"--url", url, "--duration", "soon"},                  // not a duration
      {"--url", url, "--body", "{stamp}"},                   // publish flag without --publish-url
      {"--url", url, "--publish-url", url, "--body", "{}"},  // nothing carries {stamp}
      {"--url", "https://127.0.0.1/x"},                      // not http
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {bench_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = run(argv);
    INFO("args: " << (args.empty() ? std::string("(none)") : args.back())
                  << " stderr: " << result.err);
    CHECK(result.exit_code == sse::kExitUsage);
    CHECK(result.err.rfind("sse-bench: ", 0) == 0);
    CHECK(result.out.empty());
  }
}

TEST_CASE("sse-bench: version and help exit 0", "[bench]") {
  const auto version = run({bench_bin(), "--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("sse-bench "));
  const auto help = run({bench_bin(), "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--publish-url") && Catch::Contains("--strict"));
}
