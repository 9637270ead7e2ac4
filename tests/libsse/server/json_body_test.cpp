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
