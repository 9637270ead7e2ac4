#include "sse/wire/encoder.hpp"

#include <catch2/catch.hpp>
#include <string>

using sse::wire::append_event;
using sse::wire::encode_comment;
using sse::wire::encode_event;
using sse::wire::encode_retry;
using sse::wire::is_valid_field_value;
using sse::wire::OutgoingEvent;
using namespace std::string_literals;

namespace {

std::string encoded(const OutgoingEvent& event) {
  auto result = encode_event(event);
  REQUIRE(result.ok());
  return *result;
}

}  // namespace

TEST_CASE("encoder: a one-line event has id, event and data lines and a blank line", "[wire]") {
  CHECK(encoded({"42", "notification", R"({"title":"hi"})"}) ==
        "id: 42\nevent: notification\ndata: {\"title\":\"hi\"}\n\n");
}

TEST_CASE("encoder: empty id and event are left out", "[wire]") {
  CHECK(encoded({"", "", "x"}) == "data: x\n\n");
  CHECK(encoded({"7", "", "x"}) == "id: 7\ndata: x\n\n");
  CHECK(encoded({"", "heartbeat", "x"}) == "event: heartbeat\ndata: x\n\n");
}

TEST_CASE("encoder: data is split into one data: line per line", "[wire]") {
  SECTION("LF") { CHECK(encoded({"", "", "a\nb\nc"}) == "data: a\ndata: b\ndata: c\n\n"); }
  SECTION("CRLF") { CHECK(encoded({"", "", "a\r\nb"}) == "data: a\ndata: b\n\n"); }
  SECTION("CR") { CHECK(encoded({"", "", "a\rb"}) == "data: a\ndata: b\n\n"); }
  SECTION("mixed, with CR LF as two line ends") {
    CHECK(encoded({"", "", "a\n\rb\r\r\nc"}) == "data: a\ndata:\ndata: b\ndata:\ndata: c\n\n");
  }
  SECTION("a trailing newline gives a last empty data line") {
    CHECK(encoded({"", "", "a\n"}) == "data: a\ndata:\n\n");
    CHECK(encoded({"", "", "a\r\n"}) == "data: a\ndata:\n\n");
  }
  SECTION("empty data gives one data: line") { CHECK(encoded({"", "", ""}) == "data:\n\n"); }
  SECTION("leading spaces survive the one space the parser removes") {
    CHECK(encoded({"", "", " a"}) == "data:  a\n\n");
  }
}

TEST_CASE("encoder: append_event appends to what is already there", "[wire]") {
  std::string out = "retry: 1000\n\n";
  REQUIRE(append_event(out, {"1", "a", "x"}).ok());
  REQUIRE(append_event(out, {"2", "b", "y"}).ok());
  CHECK(out == "retry: 1000\n\nid: 1\nevent: a\ndata: x\n\nid: 2\nevent: b\ndata: y\n\n");
}

TEST_CASE("encoder: CR, LF or NUL in id or event is an error and appends nothing", "[wire]") {
  for (const auto& bad : {"1\n"s, "1\r"s, "1\r\n"s, "1\0"s, "\nevent: evil"s}) {
    CAPTURE(bad);
    std::string out = "before";
    auto status = append_event(out, {bad, "ok", "data"});
    CHECK_FALSE(status.ok());
    CHECK(status.message().find("'id'") != std::string::npos);
    CHECK(out == "before");

    status = append_event(out, {"1", bad, "data"});
    CHECK_FALSE(status.ok());
    CHECK(status.message().find("'event'") != std::string::npos);
    CHECK(out == "before");

    auto result = encode_event({bad, "", "data"});
    REQUIRE_FALSE(result.ok());
    CHECK(result.message().find("'id'") != std::string::npos);
  }
}

TEST_CASE("encoder: NUL in data is an error and appends nothing", "[wire]") {
  std::string out = "before";
  auto status = append_event(out, {"1", "e", "a\0b"s});
  CHECK_FALSE(status.ok());
  CHECK(status.message().find("'data'") != std::string::npos);
  CHECK(out == "before");
  CHECK_FALSE(encode_event({"", "", "\0"s}).ok());
}

TEST_CASE("encoder: line breaks in data cannot inject fields", "[wire]") {
  // "\nid: 99" becomes a data line whose value is "id: 99", never an id: line.
  CHECK(encoded({"1", "", "x\nid: 99\n\nevent: evil"}) ==
        "id: 1\ndata: x\ndata: id: 99\ndata:\ndata: event: evil\n\n");
}

TEST_CASE("encoder: is_valid_field_value rejects CR, LF and NUL only", "[wire]") {
  CHECK(is_valid_field_value(""));
  CHECK(is_valid_field_value("user-joined"));
  CHECK(is_valid_field_value("caf\xC3\xA9 : \t"));
  CHECK_FALSE(is_valid_field_value("a\nb"));
  CHECK_FALSE(is_valid_field_value("a\rb"));
  CHECK_FALSE(is_valid_field_value("a\0b"s));
}

TEST_CASE("encoder: retry", "[wire]") {
  CHECK(encode_retry(3000) == "retry: 3000\n\n");
  CHECK(encode_retry(0) == "retry: 0\n\n");
  CHECK(encode_retry(4294967295u) == "retry: 4294967295\n\n");
}

TEST_CASE("encoder: comment", "[wire]") {
  CHECK(encode_comment("keep-alive") == ": keep-alive\n\n");
  CHECK(encode_comment("") == ": \n\n");
  CHECK(encode_comment("a\r\nb\nc\rd") == ": a  b c d\n\n");
}

TEST_CASE("encoder: the caught-up frame is the caught-up comment encoded", "[wire]") {
  CHECK(encode_comment(sse::wire::kCaughtUpComment) == sse::wire::kCaughtUpFrame);
  CHECK(sse::wire::kCaughtUpFrame == ": caught-up\n\n");
}
