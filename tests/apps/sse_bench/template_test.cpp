#include "sse-bench/template.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "sse/auth/demo_token.hpp"

using sse::bench::append_base64;
using sse::bench::kPublishPlaceholders;
using sse::bench::kSubscriberPlaceholders;
using sse::bench::Template;
using sse::bench::TemplateValues;

namespace {

std::string expand(const std::string& text, const TemplateValues& values,
                   sse::bench::PlaceholderSet allowed = kSubscriberPlaceholders |
                                                        kPublishPlaceholders) {
  auto parsed = Template::parse(text, allowed);
  REQUIRE(parsed.ok());
  return parsed->expand(values);
}

std::string base64(const std::string& bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

std::string parse_error(const std::string& text, sse::bench::PlaceholderSet allowed) {
  auto parsed = Template::parse(text, allowed);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().is_invalid_argument());
  return parsed.message();
}

}  // namespace

TEST_CASE("sse-bench template: text without placeholders is kept as it is", "[sse-bench]") {
  CHECK(expand("", {}) == "");
  CHECK(expand("/realtime/stream?entityType=bench", {}) == "/realtime/stream?entityType=bench");
  // Braces not followed by a letter are text: JSON needs no escaping.
  CHECK(expand(R"({"a":{"b":[1]}})", {}) == R"({"a":{"b":[1]}})");
  CHECK(expand("{}{1}{ {", {}) == "{}{1}{ {");
}

TEST_CASE("sse-bench template: i and ch and seq and stamp are replaced", "[sse-bench]") {
  const TemplateValues values{42, 7, 1234, "sb:7:3:99"};
  CHECK(expand("/sub/{ch}?n={i}", values) == "/sub/7?n=42");
  CHECK(expand(R"({"entityId":"{ch}","seq":{seq},"data":"{stamp}"})", values) ==
        R"({"entityId":"7","seq":1234,"data":"sb:7:3:99"})");
  CHECK(expand("{i}{i}{ch}", values) == "42427");
  CHECK(expand("{i}", {18446744073709551615ull, 0, 0, {}}) == "18446744073709551615");
}

TEST_CASE("sse-bench template: base64 of RFC 4648 test vectors", "[sse-bench]") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foob") == "Zm9vYg==");
  CHECK(base64("fooba") == "Zm9vYmE=");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("sse-bench template: b64 expands the placeholders inside first", "[sse-bench]") {
  const TemplateValues values{12, 3, 0, {}};
  CHECK(expand("{b64:u{ch}:User{ch}:u{ch}@bench:user}", values) ==
        base64("u3:User3:u3@bench:user"));
  CHECK(expand("Authorization: Bearer {b64:u{i}:U:e:user}", values) ==
        "Authorization: Bearer " + base64("u12:U:e:user"));
  // Literal braces inside balance each other; the last one closes b64.
  CHECK(expand(R"({b64:{"a":{ch}}})", values) == base64(R"({"a":3})"));
  CHECK(expand("{b64:{b64:x}}", values) == base64(base64("x")));
  CHECK(expand("{b64:}", values) == "");
}

TEST_CASE("sse-bench template: a b64 demo token is one the server accepts", "[sse-bench]") {
  const TemplateValues values{5, 5, 0, {}};
  const std::string token = expand("{b64:u{ch}:User{ch}:u{ch}@bench:user}", values);
  auto identity = sse::decode_demo_token(token);
  REQUIRE(identity.ok());
  CHECK(identity->user_id == "u5");
  CHECK(identity->username == "User5");
  CHECK(identity->email == "u5@bench");
  CHECK(identity->roles == std::vector<std::string>{"user"});
}

TEST_CASE("sse-bench template: unknown or unclosed placeholders are errors that quote the text",
          "[sse-bench]") {
  auto all = kSubscriberPlaceholders | kPublishPlaceholders;
  CHECK_THAT(parse_error("/x/{foo}", all), Catch::Contains("{foo}") && Catch::Contains("/x/{foo}"));
  CHECK_THAT(parse_error("/x/{ch", all), Catch::Contains("unclosed placeholder '{ch'"));
  CHECK_THAT(parse_error("{b64:abc", all), Catch::Contains("unclosed '{b64:'"));
  CHECK_THAT(parse_error("{b64:{abc}", all), Catch::Contains("{abc}"));
  CHECK_THAT(parse_error(R"({b64:{"a":1})", all), Catch::Contains("unclosed '{b64:'"));
  CHECK_THAT(parse_error("{ch:x}", all), Catch::Contains("unknown placeholder '{ch:'"));
  CHECK_THAT(parse_error("{Ch}", all), Catch::Contains("unknown placeholder '{Ch}'"));
  CHECK_THAT(parse_error("{ch }", all), Catch::Contains("unknown placeholder"));
}

TEST_CASE("sse-bench template: each option takes only its own placeholders", "[sse-bench]") {
  CHECK_THAT(parse_error("/s?{seq}", kSubscriberPlaceholders),
             Catch::Contains("'{seq}' cannot be used here") && Catch::Contains("{i}, {ch}"));
  CHECK_THAT(parse_error("{stamp}", kSubscriberPlaceholders), Catch::Contains("'{stamp}'"));
  CHECK_THAT(parse_error("/p/{i}", kPublishPlaceholders), Catch::Contains("'{i}' cannot be used"));
  CHECK_THAT(parse_error("{b64:{seq}}", kSubscriberPlaceholders), Catch::Contains("'{seq}'"));
}

TEST_CASE("sse-bench template: uses reports the placeholders inside b64 too", "[sse-bench]") {
  auto parsed = Template::parse("{b64:{stamp}}", kPublishPlaceholders);
  REQUIRE(parsed.ok());
  CHECK(parsed->uses() == sse::bench::kStampPlaceholder);
  auto plain = Template::parse("/x", kPublishPlaceholders);
  REQUIRE(plain.ok());
  CHECK(plain->uses() == 0);
  CHECK(plain->text() == "/x");
}
