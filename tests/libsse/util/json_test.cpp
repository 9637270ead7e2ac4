#include "sse/util/json.hpp"

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <string>

using sse::append_json_quoted;
using sse::is_valid_utf8;
using sse::json_quote;
using namespace std::string_literals;

namespace {

// What a real JSON parser reads back from a quoted string.
std::string parsed_back(const std::string& quoted) {
  Poco::JSON::Parser parser;
  return parser.parse("[" + quoted + "]")
      .extract<Poco::JSON::Array::Ptr>()
      ->getElement<std::string>(0);
}

}  // namespace

TEST_CASE("json_quote: plain text is quoted as is", "[util]") {
  CHECK(json_quote("") == R"("")");
  CHECK(json_quote("hello world") == R"("hello world")");
  CHECK(json_quote("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  CHECK(json_quote("/path") == R"("/path")");  // '/' needs no escape
}

TEST_CASE("json_quote: quote, backslash and the short escapes", "[util]") {
  CHECK(json_quote(R"(say "hi")") == R"("say \"hi\"")");
  CHECK(json_quote(R"(C:\dir)") == R"("C:\\dir")");
  CHECK(json_quote("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
}

TEST_CASE("json_quote: every control character is escaped", "[util]") {
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    const std::string raw(1, static_cast<char>(c));
    const std::string quoted = json_quote(raw);
    // Nothing below 0x20 is left raw inside the literal (RFC 8259 section 7).
    for (char q : quoted) CHECK(static_cast<unsigned char>(q) >= 0x20);
    CHECK(parsed_back(quoted) == raw);
  }
  CHECK(json_quote("\x01"s) == R"("\u0001")");
  CHECK(json_quote("\x1f"s) == R"("\u001f")");
  CHECK(json_quote("a\0b"s) == R"("a\u0000b")");
  CHECK(json_quote("\x7f"s) == R"("\u007f")");
}

TEST_CASE("json_quote: a JSON parser reads back exactly the input", "[util]") {
  const std::string tricky = "\"\\/\b\f\n\r\t\x01 \x1f end \xe2\x82\xac \xf4\x8f\xbf\xbf"s;
  CHECK(parsed_back(json_quote(tricky)) == tricky);
}

TEST_CASE("append_json_quoted appends to what is there", "[util]") {
  std::string out = "{\"k\":";
  append_json_quoted(out, "v\"");
  out += '}';
  CHECK(out == R"({"k":"v\""})");
}

TEST_CASE("is_valid_utf8: well-formed sequences (RFC 3629 section 4)", "[util]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii \x01\x7f"));
  CHECK(is_valid_utf8("\0"s));
  // Each row of the table, lowest and highest.
  CHECK(is_valid_utf8("\xc2\x80"));          // U+0080
  CHECK(is_valid_utf8("\xdf\xbf"));          // U+07FF
  CHECK(is_valid_utf8("\xe0\xa0\x80"));      // U+0800
  CHECK(is_valid_utf8("\xe1\x80\x80"));      // U+1000
  CHECK(is_valid_utf8("\xec\xbf\xbf"));      // U+CFFF
  CHECK(is_valid_utf8("\xed\x80\x80"));      // U+D000
  CHECK(is_valid_utf8("\xed\x9f\xbf"));      // U+D7FF, last before the surrogates
  CHECK(is_valid_utf8("\xee\x80\x80"));      // U+E000, first after them
  CHECK(is_valid_utf8("\xef\xbf\xbf"));      // U+FFFF
  CHECK(is_valid_utf8("\xf0\x90\x80\x80"));  // U+10000
  CHECK(is_valid_utf8("\xf1\x80\x80\x80"));  // U+40000
  CHECK(is_valid_utf8("\xf3\xbf\xbf\xbf"));  // U+FFFFF
  CHECK(is_valid_utf8("\xf4\x80\x80\x80"));  // U+100000
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
  CHECK(
      is_valid_utf8("\xef\xbb\xbf"
                    "BOM, then caf\xc3\xa9 and \xea\xb0\x80 and \xf0\x9f\x98\x80"));
}

TEST_CASE("is_valid_utf8: overlong encodings are refused", "[util]") {
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));              // U+0000 in two bytes
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));              // '/' in two bytes
  CHECK_FALSE(is_valid_utf8("\xc1\xbf"));              // U+007F in two bytes
  CHECK_FALSE(is_valid_utf8("\xe0\x80\x80"));          // U+0000 in three
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));          // U+07FF in three
  CHECK_FALSE(is_valid_utf8("\xf0\x80\x80\x80"));      // U+0000 in four
  CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));      // U+FFFF in four
  CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));  // five-byte forms are gone
  CHECK_FALSE(is_valid_utf8("\xfc\x84\x80\x80\x80\x80"));
}

TEST_CASE("is_valid_utf8: UTF-16 surrogates are refused", "[util]") {
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));              // U+D800
  CHECK_FALSE(is_valid_utf8("\xed\xad\xbf"));              // U+DB7F
  CHECK_FALSE(is_valid_utf8("\xed\xb0\x80"));              // U+DC00
  CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));              // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // a CESU-8 pair
}

TEST_CASE("is_valid_utf8: nothing above U+10FFFF", "[util]") {
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_valid_utf8("\xf4\xbf\xbf\xbf"));
  CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xf7\xbf\xbf\xbf"));  // U+1FFFFF
  for (int lead = 0xf5; lead <= 0xff; ++lead) {
    CAPTURE(lead);
    CHECK_FALSE(is_valid_utf8(std::string(1, static_cast<char>(lead)) + "\x80\x80\x80"));
  }
}

TEST_CASE("is_valid_utf8: truncated and broken sequences are refused", "[util]") {
  CHECK_FALSE(is_valid_utf8("\xc3"));  // lead byte at the end
  CHECK_FALSE(is_valid_utf8("caf\xc3"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));        // 2 of 3
  CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98"));    // 3 of 4
  CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98 x"));  // continuation replaced by ASCII
  CHECK_FALSE(is_valid_utf8("\xe2\x82 "));
  CHECK_FALSE(is_valid_utf8("\xc3\xc3\xa9"));  // a lead where a continuation belongs
  CHECK_FALSE(is_valid_utf8("\xe2\xc2\xac"));
  CHECK_FALSE(is_valid_utf8("\x80"));  // lone continuation bytes
  CHECK_FALSE(is_valid_utf8("\xbf"));
  CHECK_FALSE(
      is_valid_utf8("a\x80"
                    "b"));
  CHECK_FALSE(is_valid_utf8("\xc3\xa9\xa9"));  // one continuation too many
  CHECK_FALSE(is_valid_utf8("\xfe"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  // A truncated sequence whose missing bytes are NUL in memory past the view.
  const std::string buffer = "\xe2\x82\xac";
  CHECK_FALSE(is_valid_utf8(std::string_view(buffer.data(), 2)));
}

TEST_CASE("is_valid_utf8: agrees with a decoder on every two-byte sequence", "[util]") {
  // Reference: a sequence of two bytes is valid iff it is two ASCII bytes, or
  // C2..DF followed by 80..BF.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const bool expected =
          (a < 0x80 && b < 0x80) || (a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf);
      const char bytes[2] = {static_cast<char>(a), static_cast<char>(b)};
      if (is_valid_utf8(std::string_view(bytes, 2)) != expected) {
        FAIL_CHECK("bytes " << a << " " << b);
      }
    }
  }
}
