#include "sse/util/time_format.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

using sse::format_iso8601_ms;
using sse::parse_iso8601_ms;

TEST_CASE("format_iso8601_ms: UTC with exactly three fraction digits", "[util]") {
  CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_ms(1) == "1970-01-01T00:00:00.001Z");
  CHECK(format_iso8601_ms(999) == "1970-01-01T00:00:00.999Z");
  CHECK(format_iso8601_ms(1000) == "1970-01-01T00:00:01.000Z");
  CHECK(format_iso8601_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  CHECK(format_iso8601_ms(951'782'400'000) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(format_iso8601_ms(1'795'737'696'123) == "2026-11-27T00:01:36.123Z");
  CHECK(format_iso8601_ms(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("format_iso8601_ms: times before the epoch count down, millis stay positive", "[util]") {
  CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_iso8601_ms(-999) == "1969-12-31T23:59:59.001Z");
  CHECK(format_iso8601_ms(-1000) == "1969-12-31T23:59:59.000Z");
  CHECK(format_iso8601_ms(-1001) == "1969-12-31T23:59:58.999Z");
  CHECK(format_iso8601_ms(-2'208'988'800'000) == "1900-01-01T00:00:00.000Z");
}

TEST_CASE("parse_iso8601_ms: UTC times with and without a fraction", "[util]") {
  CHECK(parse_iso8601_ms("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_iso8601_ms("1970-01-01T00:00:00.000Z") == 0);
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.123Z") == 1'700'000'000'123);
  CHECK(parse_iso8601_ms("2026-11-27T10:00:00Z") == 1'795'773'600'000);
  CHECK(parse_iso8601_ms("2000-02-29T00:00:00Z") == 951'782'400'000);
  CHECK(parse_iso8601_ms("1900-01-01T00:00:00Z") == -2'208'988'800'000);
  CHECK(parse_iso8601_ms("2026-11-27t10:00:00z") == 1'795'773'600'000);  // RFC 3339 5.6 NOTE
}

TEST_CASE("parse_iso8601_ms: fractions are padded or truncated to milliseconds", "[util]") {
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.1Z") == 1'700'000'000'100);
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.12Z") == 1'700'000'000'120);
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.123456Z") == 1'700'000'000'123);
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.123456789Z") == 1'700'000'000'123);
  // Never rounded up into the next millisecond (or second).
  CHECK(parse_iso8601_ms("2023-11-14T22:13:20.9999Z") == 1'700'000'000'999);
  CHECK(parse_iso8601_ms("2023-11-14T22:13:59.9999Z") == 1'700'000'039'999);
}

TEST_CASE("parse_iso8601_ms: times before the epoch", "[util]") {
  CHECK(parse_iso8601_ms("1969-12-31T23:59:59.999Z") == -1);
  CHECK(parse_iso8601_ms("1969-12-31T23:59:59Z") == -1000);
  CHECK(parse_iso8601_ms("1969-12-31T23:59:58.999Z") == -1001);
  // Sub-millisecond digits move the time down (floor), also below zero.
  CHECK(parse_iso8601_ms("1969-12-31T23:59:59.9995Z") == -1);
}

TEST_CASE("parse_iso8601_ms: offsets are subtracted to get UTC", "[util]") {
  CHECK(parse_iso8601_ms("1970-01-01T02:00:00+02:00") == 0);
  CHECK(parse_iso8601_ms("1970-01-01T00:00:00+02:00") == -7'200'000);
  CHECK(parse_iso8601_ms("1969-12-31T18:30:00-05:30") == 0);
  CHECK(parse_iso8601_ms("1970-01-01T00:00:00-05:30") == 19'800'000);
  CHECK(parse_iso8601_ms("2026-11-27T10:00:00+00:00") == 1'795'773'600'000);
  CHECK(parse_iso8601_ms("2026-11-27T10:00:00-00:00") == 1'795'773'600'000);
  CHECK(parse_iso8601_ms("2026-11-27T11:00:00.250+01:00") == 1'795'773'600'250);
  CHECK(parse_iso8601_ms("2026-11-28T09:59:00+23:59") == 1'795'773'600'000);
}

TEST_CASE("parse_iso8601_ms: what it formats, it reads back", "[util]") {
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{-86'400'001}, int64_t{1'700'000'000'123},
                     int64_t{951'782'400'000}, int64_t{253'402'300'799'999}}) {
    CAPTURE(ms);
    CHECK(parse_iso8601_ms(format_iso8601_ms(ms)) == ms);
  }
}

TEST_CASE("parse_iso8601_ms: anything but an RFC 3339 date-time is nullopt", "[util]") {
  for (const char* bad : {
           "",
           "garbage",
           "@",
           "2026-11-27",                     // a date without a time
           "2026-11-27T10:00:00",            // no offset: which time zone?
           "2026-11-27T10:00Z",              // no seconds
           "2026-11-27T10:00:00Z trailing",  // trailing text
           "2026-11-27T10:00:00ZZ",
           "x2026-11-27T10:00:00Z",  // leading text
           " 2026-11-27T10:00:00Z",
           "20261127T100000Z",  // basic format
           "2026-11-27 10:00:00Z",
           "2026-11-27T10:00:00.Z",  // a dot with no digits
           "2026-11-27T10:00:00,5Z",
           "2026-11-27T10:00:00+0200",  // offset without a colon
           "2026-11-27T10:00:00+02",
           "2026-11-27T10:00:00+24:00",  // impossible offsets
           "2026-11-27T10:00:00+02:60",
           "2026-13-01T00:00:00Z",  // impossible dates and times
           "2026-00-01T00:00:00Z",
           "2026-02-29T00:00:00Z",  // not a leap year
           "1900-02-29T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-11-00T00:00:00Z",
           "2026-11-27T24:00:00Z",
           "2026-11-27T10:60:00Z",
           "2026-11-27T10:00:60Z",  // leap second
           "-2026-11-27T10:00:00Z",
           "+2026-11-27T10:00:00Z",
           "2026-1-27T10:00:00Z",
           "２０２６-11-27T10:00:00Z",  // full-width digits
       }) {
    CAPTURE(bad);
    CHECK(parse_iso8601_ms(bad) == std::nullopt);
  }
  CHECK(parse_iso8601_ms(std::string("2026-11-27T10:00:00Z\0", 21)) == std::nullopt);
  CHECK(parse_iso8601_ms(std::string_view("2026-11-27T10:00:00Z", 19)) == std::nullopt);
}
