#include "server/json_body.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "sse/util/json.hpp"

using namespace std::string_literals;

namespace {

bool has_control_byte(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("parse_json_object accepts an object and keeps its fields", "[json_body]") {
  auto body = sse::parse_json_object(R"({"roomId":"general","message":"h\u00e9"})");
  REQUIRE(body.ok());
  sse::FieldReader fields(**body);
  CHECK(fields.required_string("roomId") == "general");
  CHECK(fields.required_string("message") == "h\xC3\xA9");
  CHECK_FALSE(fields.failed());
}

TEST_CASE("FieldReader keeps the first failure and names its field", "[json_body]") {
  auto body = sse::parse_json_object(
      R"({"title":"","count":-1,"flag":true,"id":7,"tag":3,"long":"abcdef","nul":null})");
  REQUIRE(body.ok());
  sse::FieldReader fields(**body);
  CHECK(fields.optional_string("nul") == std::nullopt);
  CHECK(fields.required_id("id", 10) == "7");
  CHECK_FALSE(fields.failed());
  CHECK(fields.required_string("title").empty());
  REQUIRE(fields.failed());
  CHECK(fields.error()->status == 400);
  CHECK(fields.error()->message == "field 'title' must not be empty");
  (void)fields.optional_string("tag");
  CHECK(fields.error()->message == "field 'title' must not be empty");

  sse::FieldReader more(**body);
  CHECK(more.optional_non_negative_integer("count") == std::nullopt);
  CHECK(more.error()->message == "field 'count' must be a non-negative integer");
  sse::FieldReader flag(**body);
  (void)flag.required_id("flag", 10);
  CHECK(flag.error()->message == "missing field 'flag' (a string or an integer)");
  sse::FieldReader length(**body);
  (void)length.optional_string("long", 3);
  CHECK(length.error()->message == "field 'long' is longer than 3 bytes");
  sse::FieldReader missing(**body);
  (void)missing.required_string("absent");
  CHECK(missing.error()->message == "missing field 'absent'");
}

TEST_CASE("parse_json_object rejects what is not one JSON object with a 400", "[json_body]") {
  for (const std::string text : {"", "[1]", "\"x\"", "{", "{\"a\":1", "{\"a\":\xC3\x28}"}) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().status == 400);
  }
}

// Found by fuzz/request_body_fuzzer: Poco's message quoted the first byte of a
// multi-byte character ("unexpected byte '\xC2'"), which made the JSON error
// body invalid UTF-8.
TEST_CASE("parse errors never echo a partial character or a control byte", "[json_body]") {
  for (const std::string& text :
       {"\xC2\xB7\x02"s, "{\"a\":\xC2\xB7}"s, "{\"a\":\x01}"s, "{\"a\"\x00:1}"s, "\xE4\xB8\x96"s}) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().status == 400);
    CHECK(sse::is_valid_utf8(body.error().message));
    CHECK_FALSE(has_control_byte(body.error().message));
  }
  auto body = sse::parse_json_object("{\"a\":\xC2\xB7}");
  REQUIRE_FALSE(body.ok());
  CHECK_THAT(body.error().message, Catch::Contains("\\xC2"));
}

// RFC 7493 2.3: Poco keeps the last of two equal keys, other parsers the
// first; a check on one and a use of the other must not be possible.
TEST_CASE("parse_json_object refuses a key twice in one object, at any depth", "[json_body]") {
  for (const std::string text :
       {R"({"a":1,"a":2})", R"({"a":1,"b":{"c":1,"c":1}})", R"({"x":[{"k":1},{"k":2,"k":3}]})"}) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().status == 400);
    CHECK_THAT(body.error().message, Catch::Contains("twice in one object"));
  }
  auto twice = sse::parse_json_object(R"({"roomId":"a","roomId":"b"})");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message == "the body has the key \"roomId\" twice in one object");
  // The same key in sibling objects, or as a value, is no duplicate.
  CHECK(sse::parse_json_object(R"({"a":{"k":1},"b":{"k":2},"k":"k"})").ok());
}

// Poco 1.11 reads 2^64 as 0 and -2^63-1 as -2^63: such numbers never get that far.
TEST_CASE("parse_json_object refuses integers beyond 64 bits wherever they are", "[json_body]") {
  for (const std::string text :
       {R"({"a":18446744073709551616})", R"({"a":[1,-9223372036854775809]})",
        R"({"a":{"b":123456789012345678901234567890}})"}) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().status == 400);
    CHECK_THAT(body.error().message, Catch::Contains("does not fit in 64 bits"));
  }
  auto big = sse::parse_json_object(R"({"n":18446744073709551616})");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == "the integer 18446744073709551616 does not fit in 64 bits");
  // The edges fit, and digits in strings, fractions and exponents are not integers.
  auto edges = sse::parse_json_object(
      R"({"max":18446744073709551615,"min":-9223372036854775808,"s":"18446744073709551616",)"
      R"("q":"\"99999999999999999999","f":12345678901234567890123.5,"e":1e20})");
  REQUIRE(edges.ok());
  sse::FieldReader fields(**edges);
  CHECK(fields.json_text("max") == "18446744073709551615");
  CHECK(fields.json_text("min") == "-9223372036854775808");
  CHECK(fields.json_text("s") == R"("18446744073709551616")");
  // A float out of range is Poco's to refuse, in its own words.
  auto huge = sse::parse_json_object(R"({"e":1e99999999999999999999})");
  REQUIRE_FALSE(huge.ok());
  CHECK_THAT(huge.error().message, !Catch::Contains("integer"));
}
