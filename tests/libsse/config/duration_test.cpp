#include "sse/config/duration.hpp"

#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::chrono::milliseconds parsed(std::string_view text) {
  auto result = sse::parse_duration(text);
  INFO(text);
  REQUIRE(result.ok());
  return *result;
}

// The error for `text`; fails the test if `text` parses.
std::string error_for(std::string_view text) {
  auto result = sse::parse_duration(text);
  INFO(text);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

}  // namespace

TEST_CASE("parse_duration reads every unit", "[config]") {
  CHECK(parsed("250ms") == 250ms);
  CHECK(parsed("30s") == 30s);
  CHECK(parsed("5m") == 5min);
  CHECK(parsed("24h") == 24h);
  CHECK(parsed("1ms") == 1ms);
  CHECK(parsed("1500ms") == 1500ms);
  CHECK(parsed("90s") == 90s);
}

TEST_CASE("parse_duration reads a bare number as seconds, and zero", "[config]") {
  CHECK(parsed("45") == 45s);
  CHECK(parsed("1") == 1s);
  CHECK(parsed("0") == 0ms);
  CHECK(parsed("0ms") == 0ms);
  CHECK(parsed("0h") == 0ms);
  CHECK(parsed("007s") == 7s);
}

TEST_CASE("parse_duration rejects negative values", "[config]") {
  CHECK_THAT(error_for("-5s"), Contains("\"-5s\"") && Contains("negative"));
  CHECK_THAT(error_for("-1"), Contains("\"-1\""));
}

TEST_CASE("parse_duration rejects junk and names the text", "[config]") {
  CHECK_THAT(error_for(""), Contains("empty"));
  CHECK_THAT(error_for("abc"), Contains("\"abc\"") && Contains("missing number"));
  CHECK_THAT(error_for("+5s"), Contains("\"+5s\""));
  CHECK_THAT(error_for(" 5s"), Contains("\" 5s\""));
  CHECK_THAT(error_for("5 s"), Contains("\"5 s\""));
  CHECK_THAT(error_for("5s "), Contains("\"5s \""));
  CHECK_THAT(error_for("1.5s"), Contains("\"1.5s\"") && Contains("fractions"));
  // The hint says the same length in whole units.
  CHECK_THAT(error_for("1.5s"), Contains("write 1500ms"));
  CHECK_THAT(error_for("1.5h"), Contains("write 90m"));
  CHECK_THAT(error_for("0.25m"), Contains("write 15s"));
  CHECK_THAT(error_for("1.0001ms"), !Contains("write"));
  CHECK_THAT(error_for("5s30s"), Contains("\"5s30s\""));
}

TEST_CASE("parse_duration rejects a unit without a number", "[config]") {
  CHECK_THAT(error_for("ms"), Contains("\"ms\"") && Contains("missing number"));
  CHECK_THAT(error_for("s"), Contains("missing number"));
  CHECK_THAT(error_for("h"), Contains("missing number"));
}

TEST_CASE("parse_duration rejects unknown units", "[config]") {
  CHECK_THAT(error_for("5d"), Contains("\"5d\"") && Contains("unknown unit \"d\""));
  CHECK_THAT(error_for("10sec"), Contains("unknown unit \"sec\""));
  CHECK_THAT(error_for("10S"), Contains("unknown unit \"S\""));
  CHECK_THAT(error_for("3us"), Contains("unknown unit \"us\""));
}

TEST_CASE("parse_duration rejects values that overflow milliseconds", "[config]") {
  CHECK(parsed("9223372036854775807ms") == std::chrono::milliseconds::max());
  CHECK_THAT(error_for("9223372036854775808ms"), Contains("too large"));  // past int64
  CHECK_THAT(error_for("99999999999999999999999"), Contains("too large"));
  CHECK_THAT(error_for("9223372036854775807"), Contains("too large"));  // seconds * 1000
  CHECK_THAT(error_for("2562047788016h"), Contains("too large"));       // hours * 3600000
  CHECK(parsed("2562047788015h") == 2562047788015h);
}

TEST_CASE("format_duration writes the shortest exact form", "[config]") {
  CHECK(sse::format_duration(250ms) == "250ms");
  CHECK(sse::format_duration(30s) == "30s");
  CHECK(sse::format_duration(5min) == "5m");
  CHECK(sse::format_duration(24h) == "24h");
  CHECK(sse::format_duration(90s) == "90s");
  CHECK(sse::format_duration(1500ms) == "1500ms");
  CHECK(sse::format_duration(120min) == "2h");
  CHECK(sse::format_duration(0ms) == "0s");
  CHECK(sse::format_duration(-5s) == "-5s");
}

TEST_CASE("format_duration round-trips through parse_duration", "[config]") {
  const std::vector<std::chrono::milliseconds> values = {0ms,
                                                         1ms,
                                                         999ms,
                                                         1000ms,
                                                         1001ms,
                                                         59s,
                                                         60s,
                                                         61s,
                                                         3599s,
                                                         1h,
                                                         25h,
                                                         300000ms,
                                                         std::chrono::milliseconds::max()};
  for (auto d : values) {
    INFO(d.count());
    auto back = sse::parse_duration(sse::format_duration(d));
    REQUIRE(back.ok());
    CHECK(*back == d);
  }
}
