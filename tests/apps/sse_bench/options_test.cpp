#include "sse-bench/options.hpp"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include "sse-bench/bench.hpp"
#include "sse-bench/report.hpp"
#include "sse/util/exit_codes.hpp"

using sse::bench::Options;
using sse::bench::Settings;

namespace {

// Parses a command line (without the program name) the way main does.
sse::Result<Settings> settings_for(const std::string& command_line) {
  CLI::App app{"test"};
  Options options;
  sse::bench::add_options(app, options);
  app.parse(command_line, /*program_name_included=*/false);
  return sse::bench::make_settings(options, app.count("--duration") > 0);
}

std::string error_for(const std::string& command_line) {
  auto settings = settings_for(command_line);
  REQUIRE_FALSE(settings.ok());
  CHECK(settings.error().is_invalid_argument());
  return settings.message();
}

const std::string kUrl = "--url http://127.0.0.1:3000/realtime/stream?entityType=bench ";

}  // namespace

TEST_CASE("sse-bench options: defaults of a subscribe-only run", "[sse-bench]") {
  auto s = settings_for(kUrl);
  REQUIRE(s.ok());
  CHECK(s->connections == 100);
  CHECK(s->channels == 1);
  CHECK(s->threads == 1);
  CHECK(s->connect_timeout == std::chrono::seconds(30));
  CHECK(s->duration == std::chrono::seconds(10));
  CHECK(s->warmup == std::chrono::seconds(1));
  CHECK(s->drain == std::chrono::seconds(5));
  CHECK_FALSE(s->publish);
  CHECK(s->url.host == "127.0.0.1");
  CHECK(s->url.port == 3000);
  CHECK(s->url.authority == "127.0.0.1:3000");
  CHECK(s->url.path.expand({}) == "/realtime/stream?entityType=bench");
}

TEST_CASE("sse-bench options: a publishing run with repeated headers", "[sse-bench]") {
  auto s = settings_for(
      kUrl +
      "-n 300 --channels 10 -H 'Authorization: Bearer {b64:u{ch}:U:e:user}' "
      "-H 'X-A: {i}' --publish-url http://127.0.0.1:3000/realtime/update "
      "--publish-header 'Content-Type: application/json' --publish-header 'X-B: {seq}' "
      "--body '{\"data\":\"{stamp}\"}' --rate 50 --duration 2s --pick random");
  REQUIRE(s.ok());
  CHECK(s->connections == 300);
  CHECK(s->channels == 10);
  REQUIRE(s->headers.size() == 2);
  CHECK(s->headers[1].expand({7, 0, 0, {}}) == "X-A: 7");
  REQUIRE(s->publish);
  CHECK(s->publish->headers.size() == 2);
  CHECK(s->publish->rate == 50);
  CHECK(s->publish->duration == std::chrono::seconds(2));
  CHECK(s->publish->count == 0);
  CHECK(s->publish->pick == sse::bench::Pick::kRandom);
  CHECK(s->publish->method == "POST");
  CHECK(s->publish->body.expand({0, 0, 0, "sb:1:2:3"}) == "{\"data\":\"sb:1:2:3\"}");
}

TEST_CASE("sse-bench options: count alone has no time limit and both stop at the first",
          "[sse-bench]") {
  const std::string publish = kUrl + "--publish-url http://h:1/p ";
  auto count_only = settings_for(publish + "--count 5");
  REQUIRE(count_only.ok());
  CHECK(count_only->publish->count == 5);
  CHECK_FALSE(count_only->publish->duration);
  auto both = settings_for(publish + "--count 5 --duration 500ms");
  REQUIRE(both.ok());
  CHECK(both->publish->duration == std::chrono::milliseconds(500));
  auto neither = settings_for(publish);
  REQUIRE(neither.ok());
  CHECK(neither->publish->duration == std::chrono::seconds(10));
  CHECK(neither->publish->body.text() == "{stamp}");
}

TEST_CASE("sse-bench options: bad values name their flag", "[sse-bench]") {
  CHECK_THAT(error_for("--url https://x/"), Catch::Contains("--url") && Catch::Contains("https"));
  CHECK_THAT(error_for("--url http://x/{nope}"),
             Catch::Contains("--url") && Catch::Contains("{nope}"));
  CHECK_THAT(error_for("--url http://{ch}:1/"), Catch::Contains("not the host"));
  CHECK_THAT(error_for("--url http://x:0/"), Catch::Contains("1..65535"));
  CHECK_THAT(error_for(kUrl + "-H 'no colon'"),
             Catch::Contains("--header") && Catch::Contains("Name: value"));
  CHECK_THAT(error_for(kUrl + "-H 'X: {seq}'"), Catch::Contains("'{seq}' cannot be used"));
  CHECK_THAT(error_for(kUrl + "--connect-timeout 5 --duration 1.5s"),
             Catch::Contains("--duration") && Catch::Contains("1.5s"));
  CHECK_THAT(error_for(kUrl + "--body x"), Catch::Contains("--body: needs --publish-url"));
  CHECK_THAT(error_for(kUrl + "--count 3"), Catch::Contains("--count: needs --publish-url"));
  CHECK_THAT(error_for(kUrl + "--publish-url http://h/p --body '{\"a\":1}'"),
             Catch::Contains("{stamp}"));
  CHECK_THAT(error_for(kUrl + "--publish-url http://h/{i}"), Catch::Contains("--publish-url"));
  CHECK_THAT(error_for(kUrl + "--publish-url http://h/p --publish-method 'P T'"),
             Catch::Contains("--publish-method"));
  CHECK_THAT(error_for(kUrl + "--publish-url http://h/p --publish-connections 0"),
             Catch::Contains("--publish-connections"));
}

TEST_CASE("sse-bench options: CLI11 refuses what is out of range", "[sse-bench]") {
  CHECK_THROWS_AS(settings_for(""), CLI::ParseError);  // --url is required
  CHECK_THROWS_AS(settings_for(kUrl + "-n 0"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--channels 0"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--threads 0"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--pick sideways"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--progress maybe"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--source-addresses 254"), CLI::ParseError);
  CHECK_THROWS_AS(settings_for(kUrl + "--rate -1"), CLI::ParseError);
}

TEST_CASE("sse-bench options: source addresses are automatic past 20000 loopback connections",
          "[sse-bench]") {
  auto small = settings_for(kUrl + "-n 20000");
  REQUIRE(small.ok());
  CHECK(sse::bench::sources_for(*small, true) == 0);
  auto large = settings_for(kUrl + "-n 45000");
  REQUIRE(large.ok());
  CHECK(sse::bench::sources_for(*large, true) == 3);
  CHECK(sse::bench::sources_for(*large, false) == 0);
  auto forced = settings_for(kUrl + "-n 45000 --source-addresses 0");
  REQUIRE(forced.ok());
  CHECK(sse::bench::sources_for(*forced, true) == 0);
  auto given = settings_for(kUrl + "-n 10 --source-addresses 4");
  REQUIRE(given.ok());
  CHECK(sse::bench::sources_for(*given, true) == 4);
  CHECK(sse::bench::descriptors_needed(*given) >= 10);
}

TEST_CASE("sse-bench options: exit status of a finished run", "[sse-bench]") {
  auto strict = settings_for(kUrl + "--publish-url http://h/p --strict");
  REQUIRE(strict.ok());
  sse::bench::Report r;
  r.established = 10;
  r.publish_connects = 4;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitOk);
  r.lost = 1;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitFailure);
  r.lost = 0;
  r.duplicates = 1;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitFailure);
  r.duplicates = 0;
  r.misrouted = 1;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitFailure);
  r.interrupted = true;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitInterrupted);
  r = {};
  r.publish_unreachable = true;
  r.established = 10;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitUnavailable);
  r.publish_unreachable = false;
  r.established = 0;
  CHECK(sse::bench::exit_code_for(*strict, r) == sse::kExitUnavailable);
  // Without --strict losses are reported, not failed.
  auto lenient = settings_for(kUrl + "--publish-url http://h/p");
  REQUIRE(lenient.ok());
  r.established = 10;
  r.lost = 5;
  CHECK(sse::bench::exit_code_for(*lenient, r) == sse::kExitOk);
}
