#include "server/json_body.hpp"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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
  sse::FieldReader fields(*body);
  CHECK(fields.required_string("roomId") == "general");
  CHECK(fields.required_string("message") == "h\xC3\xA9");
  CHECK_FALSE(fields.failed());
}

TEST_CASE("FieldReader keeps the first failure and names its field", "[json_body]") {
  auto body = sse::parse_json_object(
      R"({"title":"","count":-1,"flag":true,"id":7,"tag":3,"long":"abcdef","nul":null})");
  REQUIRE(body.ok());
  sse::FieldReader fields(*body);
  CHECK(fields.optional_string("nul") == std::nullopt);
  CHECK(fields.required_id("id", 10) == "7");
  CHECK_FALSE(fields.failed());
  CHECK(fields.required_string("title").empty());
  REQUIRE(fields.failed());
  CHECK(fields.error()->status == 400);
  CHECK(fields.error()->message == "field 'title' must not be empty");
  (void)fields.optional_string("tag");
  CHECK(fields.error()->message == "field 'title' must not be empty");

  sse::FieldReader more(*body);
  CHECK(more.optional_non_negative_integer("count") == std::nullopt);
  CHECK(more.error()->message == "field 'count' must be a non-negative integer");
  sse::FieldReader flag(*body);
  (void)flag.required_id("flag", 10);
  CHECK(flag.error()->message == "missing field 'flag' (a string or an integer)");
  sse::FieldReader length(*body);
  (void)length.optional_string("long", 3);
  CHECK(length.error()->message == "field 'long' is longer than 3 bytes");
  sse::FieldReader missing(*body);
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
  sse::FieldReader fields(*edges);
  CHECK(fields.json_text("max") == "18446744073709551615");
  CHECK(fields.json_text("min") == "-9223372036854775808");
  CHECK(fields.json_text("s") == R"("18446744073709551616")");
  // A float out of range is Poco's to refuse, in its own words.
  auto huge = sse::parse_json_object(R"({"e":1e99999999999999999999})");
  REQUIRE_FALSE(huge.ok());
  CHECK_THAT(huge.error().message, !Catch::Contains("integer"));
}

namespace {

// {"k0":0,"k1":1,...}: `keys` distinct keys, in an order that is not sorted
// ("k10" comes after "k9").
std::string object_of(size_t keys) {
  std::string text = "{";
  for (size_t i = 0; i < keys; ++i) {
    if (i > 0) text += ',';
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  return text + "}";
}

// What Poco's own order-keeping tree builder and writer make of `name` in
// `body`: json_text's reference (Poco inserts into such objects in linear time).
std::string poco_ordered_text(const std::string& body, const std::string& name) {
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
  const auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(object->get(name), out);
  return out.str();
}

}  // namespace

// Poco's order-keeping objects compare each new key with every key they
// hold: 12,000 keys took a second, 50,000 would take most of a minute.
TEST_CASE("parse_json_object reads 50,000 keys, and finds the one duplicate among them",
          "[json_body]") {
  const std::string data = object_of(50000);
  auto body = sse::parse_json_object(R"({"action":"update","data":)" + data + "}");
  REQUIRE(body.ok());
  sse::FieldReader fields(*body);
  CHECK(fields.json_text("data") == data);  // every key, in the order sent

  auto flat = sse::parse_json_object(data);
  REQUIRE(flat.ok());
  CHECK(flat->members().size() == 50000);

  std::string twice = data;
  twice.insert(twice.size() - 1, R"(,"k31337":1)");
  auto refused = sse::parse_json_object(twice);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().status == 400);
  CHECK(refused.error().message == "the body has the key \"k31337\" twice in one object");
}

TEST_CASE("json_text keeps the publisher's key order at every depth", "[json_body]") {
  auto body = sse::parse_json_object(
      R"({"data":{"z":1,"a":{"y":[{"q":1,"b":2},{}],"c":null},"m":[],"b":"x"},"a":0})");
  REQUIRE(body.ok());
  sse::FieldReader fields(*body);
  CHECK(fields.json_text("data") ==
        R"({"z":1,"a":{"y":[{"q":1,"b":2},{}],"c":null},"m":[],"b":"x"})");
  CHECK(fields.json_text("a") == "0");
  CHECK(fields.json_text("missing") == "null");
}

// json_text passes a value on as it was sent, less the whitespace between
// its tokens; Poco, an independent reader, must read it as the same value.
TEST_CASE("json_text passes each value on as sent, which Poco reads as the same value",
          "[json_body]") {
  std::vector<std::string> bodies = {
      R"({"data":{"s":"h\u00e9 \"q\" \\ \/ \b\f\n\r\t \u0001 \u007f \ud83d\ude00 é"}})",
      R"({"data":{"n":[0,-0,1e-400,1.5e308,-9223372036854775808,18446744073709551615]}})",
      R"({"data":{"f":[0.1,1e20,12345678901234567890123.5,-2.5e-7,3.0]}})",
      R"({"data":[true,false,null,{"b":{"a":[[],{}]}},"x"]})",
      R"({"data":{"k\u0000cut":1,"":2,"é":3,"\u00e9e":4}})",
      R"({"data":"just a string"})",
      R"({"data":42})",
      " {\n \"data\" : { \"b\" : 1 ,\t\"a\" : [ 1 , 2 ] } } ",
  };
  const std::string corpus = std::string(SSE_SOURCE_DIR) + "/fuzz/corpus/request_body_fuzzer";
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    bodies.push_back(text.str());
  }
  size_t compared = 0;
  for (const auto& text : bodies) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    if (!body.ok()) continue;  // the refused ones are other tests' business
    sse::FieldReader fields(*body);
    for (const auto& member : body->members()) {
      INFO(member.name);
      const std::string passed = fields.json_text(member.name);
      CHECK(passed.find_first_of("\r\n") == std::string::npos);
      CHECK(poco_ordered_text("{\"v\":" + passed + "}", "v") ==
            poco_ordered_text(text, member.name));
      ++compared;
    }
  }
  CHECK(compared >= 20);
}

TEST_CASE("json_text changes nothing but the whitespace between tokens", "[json_body]") {
  auto body = sse::parse_json_object(
      " {\n \"data\" : { \"b\" : 1 ,\t\"a\" : [ -0 , 1e-400, 2.50 ] , \"s\" : \" \\u00e9\\/ \" } ,"
      "\"n\":1E+2}\r\n");
  REQUIRE(body.ok());
  sse::FieldReader fields(*body);
  CHECK(fields.json_text("data") == R"({"b":1,"a":[-0,1e-400,2.50],"s":" \u00e9\/ "})");
  CHECK(fields.json_text("n") == "1E+2");
}

TEST_CASE("strings are decoded when an endpoint reads them", "[json_body]") {
  auto body = sse::parse_json_object(
      R"({"s":"a\"b\\c\/d\b\f\n\r\te\u0041\u00e9\u4e16\ud83d\ude00","k\u0065y":"v","i":-0,)"
      R"("big":9223372036854775808,"n":1.0})");
  REQUIRE(body.ok());
  sse::FieldReader fields(*body);
  CHECK(fields.required_string("s") == "a\"b\\c/d\b\f\n\r\teA\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80");
  CHECK(fields.required_string("key") == "v");  // names are decoded too
  CHECK(fields.required_id("i", 10) == "0");    // -0 is 0; other integers read as sent
  CHECK(fields.optional_non_negative_integer("i") == 0);
  CHECK_FALSE(fields.failed());
  sse::FieldReader big(*body);
  CHECK(big.optional_non_negative_integer("big") == std::nullopt);
  CHECK(big.error()->message == "field 'big' must be a non-negative integer");
  sse::FieldReader real(*body);
  (void)real.required_id("n", 10);
  CHECK(real.error()->message == "missing field 'n' (a string or an integer)");
}

TEST_CASE("parse_json_object refuses each break of the grammar with a 400 that says where",
          "[json_body]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":01})", "',' or '}' was expected after a member at byte 6 ('1')"},
      {R"({"a":1.})", "a digit was expected at byte 7 ('}')"},
      {R"({"a":[1,]})", "a value was expected at byte 8 (']')"},
      {R"({"a":1,})", "a key was expected at byte 7 ('}')"},
      {"\xEF\xBB\xBF{}", "the body must be a JSON object"},
      {"{\"a\":\"x\ty\"}", "a control byte must be escaped in a string at byte 7 ('\\x09')"},
      {R"({"a":-})", "a digit was expected at byte 6 ('}')"},
      {R"({"a":.5})", "a value was expected at byte 5 ('.')"},
      {R"({"a":+1})", "a value was expected at byte 5 ('+')"},
      {R"({"a":"\x"})", "not an escape at byte 7 ('x')"},
      {R"({"a":"\u12"})", "\\u must have four hex digits at byte 6 ('\\')"},
      {R"({"a":tru})", "a value was expected at byte 5 ('t')"},
      {R"({"a" 1})", "':' was expected after a key at byte 5 ('1')"},
      {R"({"a":1} x)", "more after the object at byte 8 ('x')"},
      {R"({"a":"x)", "it ends early (a string is not closed)"},
      {R"({"a":[)", "it ends early (a value was expected)"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().status == 400);
    CHECK_THAT(body.error().message, Catch::EndsWith(message));
  }
  for (const std::string text :
       {R"({"a":"\ud800"})", R"({"a":"\udc00\ud800"})", R"({"a":"\ud800\u0041"})"}) {
    INFO(text);
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK_THAT(body.error().message, Catch::Contains("is half of a surrogate pair"));
  }
  auto huge = sse::parse_json_object(R"({"a":[-1e400]})");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().message == "the number -1e400 is beyond the range of a double");
}

TEST_CASE("parse_json_object takes 32 levels of nesting and refuses the 33rd", "[json_body]") {
  auto nested = [](size_t levels) {
    std::string text =
        "{\"a\":" + std::string(levels - 1, '[') + "1" + std::string(levels - 1, ']') + "}";
    return text;
  };
  CHECK(sse::parse_json_object(nested(32)).ok());
  auto deep = sse::parse_json_object(nested(33));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message == "the body is nested deeper than 32 levels");
}

TEST_CASE("duplicate keys are found decoded, in small and in large objects", "[json_body]") {
  auto escaped = sse::parse_json_object(R"({"ab":1,"a\u0062":2})");
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.error().message == "the body has the key \"ab\" twice in one object");
  // Past the keys a scan checks, the hash set must hold the earlier ones too.
  for (size_t keys : {8u, 9u, 10u, 40u}) {
    INFO(keys);
    std::string text = object_of(keys);
    text.insert(text.size() - 1, R"(,"k0":1)");
    auto body = sse::parse_json_object(text);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().message == "the body has the key \"k0\" twice in one object");
  }
  // Both copies past the scanned keys, in a nested object.
  std::string late = object_of(30);
  late.insert(late.size() - 1, R"(,"k20":1)");
  auto nested = sse::parse_json_object(R"({"data":)" + late + R"(,"x":1})");
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.error().message == "the body has the key \"k20\" twice in one object");
}
