#include "sse/util/logger.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

using sse::Logger;
using sse::LogLevel;
using sse::parse_log_level;
using sse::redact_query;

namespace {

// Everything `write` sends to stderr (fd 2).
std::string captured_stderr(const std::function<void()>& write) {
  std::fflush(stderr);
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  ::dup2(::fileno(sink), 2);
  write();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string out;
  std::rewind(sink);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, sink)) > 0;) out.append(buffer, n);
  std::fclose(sink);
  return out;
}

}  // namespace

TEST_CASE("parse_log_level: the five names, info for anything else", "[util]") {
  CHECK(parse_log_level("trace") == LogLevel::kTrace);
  CHECK(parse_log_level("debug") == LogLevel::kDebug);
  CHECK(parse_log_level("info") == LogLevel::kInfo);
  CHECK(parse_log_level("warn") == LogLevel::kWarn);
  CHECK(parse_log_level("error") == LogLevel::kError);
  for (const char* other : {"", "INFO", "Debug", "warning", "fatal", "error ", "trace\n"}) {
    CAPTURE(other);
    CHECK(parse_log_level(other) == LogLevel::kInfo);
  }
}

TEST_CASE("logger: lines below the level are not written", "[util]") {
  Logger logger(LogLevel::kWarn, false);
  CHECK_FALSE(logger.enabled(LogLevel::kTrace));
  CHECK_FALSE(logger.enabled(LogLevel::kInfo));
  CHECK(logger.enabled(LogLevel::kWarn));
  CHECK(logger.enabled(LogLevel::kError));
  const std::string out = captured_stderr([&] {
    logger.info("quiet");
    logger.log(LogLevel::kDebug, "quieter");
    logger.warn("loud");
    logger.error("louder");
  });
  CHECK(out.find("quiet") == std::string::npos);
  CHECK(out.find("loud") != std::string::npos);
  CHECK(out.find("louder") != std::string::npos);
}

TEST_CASE("logger: text lines are time, level, message, key=value", "[util]") {
  Logger logger(LogLevel::kTrace, false);
  const std::string out = captured_stderr([&] {
    logger.info("request", {{"method", "GET"}, {"status", "200"}});
  });
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);  // one line
  const std::string time = out.substr(0, out.find(' '));
  CHECK(sse::parse_iso8601_ms(time).has_value());
  CHECK(out.substr(time.size()) == " info  request method=GET status=200\n");
}

TEST_CASE("logger: JSON lines are one valid object each, strings escaped", "[util]") {
  Logger logger(LogLevel::kInfo, true);
  const std::string message = "say \"hi\"\nand\\leave\x01";
  const std::string out = captured_stderr([&] {
    logger.warn(message, {{"uri", "/a?b=\"c\""}, {"empty", ""}});
    logger.error("second");
  });
  const size_t first_end = out.find('\n');
  REQUIRE(first_end != std::string::npos);
  REQUIRE(out.substr(first_end + 1).find('\n') == out.size() - first_end - 2);  // two lines

  Poco::JSON::Parser parser;
  auto object = parser.parse(out.substr(0, first_end)).extract<Poco::JSON::Object::Ptr>();
  CHECK(object->getValue<std::string>("level") == "warn");
  CHECK(object->getValue<std::string>("msg") == message);
  CHECK(object->getValue<std::string>("uri") == "/a?b=\"c\"");
  CHECK(object->getValue<std::string>("empty").empty());
  CHECK(sse::parse_iso8601_ms(object->getValue<std::string>("time")).has_value());

  Poco::JSON::Parser second_parser;
  auto second = second_parser.parse(out.substr(first_end + 1)).extract<Poco::JSON::Object::Ptr>();
  CHECK(second->getValue<std::string>("level") == "error");
  CHECK(second->getValue<std::string>("msg") == "second");
}

TEST_CASE("redact_query: token values are replaced wherever they are in the query", "[util]") {
  CHECK(redact_query("/notifications/stream?token=abc.def") ==
        "/notifications/stream?token=REDACTED");
  CHECK(redact_query("/chat/stream?room=general&token=abc") ==
        "/chat/stream?room=general&token=REDACTED");
  CHECK(redact_query("/chat/stream?token=abc&room=general") ==
        "/chat/stream?token=REDACTED&room=general");
  CHECK(redact_query("/s?a=1&token=x&b=2&token=y") == "/s?a=1&token=REDACTED&b=2&token=REDACTED");
  CHECK(redact_query("/s?access_token=abc&lastEventId=7") ==
        "/s?access_token=REDACTED&lastEventId=7");
}

TEST_CASE("redact_query: a percent-encoded name is still the token the server reads", "[util]") {
  // Poco::URI::getQueryParameters decodes names: "%74oken" authenticates.
  CHECK(redact_query("/s?%74oken=secret") == "/s?%74oken=REDACTED");
  CHECK(redact_query("/s?tok%65n=secret&a=1") == "/s?tok%65n=REDACTED&a=1");
  CHECK(redact_query("/s?%61ccess_token=secret") == "/s?%61ccess_token=REDACTED");
  CHECK(redact_query("/s?%74%6F%6B%65%6E=secret") == "/s?%74%6F%6B%65%6E=REDACTED");
}

TEST_CASE("redact_query: other parameters and other URIs are untouched", "[util]") {
  CHECK(redact_query("/health") == "/health");
  CHECK(redact_query("") == "");
  CHECK(redact_query("/s?") == "/s?");
  CHECK(redact_query("/s?tokens=1&mytoken=2&token_type=3&Token=4") ==
        "/s?tokens=1&mytoken=2&token_type=3&Token=4");
  CHECK(redact_query("/s?a=token&b=token=1") == "/s?a=token&b=token=1");  // a value, not a name
  CHECK(redact_query("/s?a=1&&b=2&") == "/s?a=1&&b=2&");                  // kept byte for byte
  CHECK(redact_query("/s?%zz=1&%7=2") == "/s?%zz=1&%7=2");                // bad escapes kept
  CHECK(redact_query("/s?token+=x") == "/s?token+=x");  // the server reads "token "
}

TEST_CASE("redact_query: empty and missing token values", "[util]") {
  CHECK(redact_query("/s?token=") == "/s?token=REDACTED");
  CHECK(redact_query("/s?token") == "/s?token=REDACTED");
  CHECK(redact_query("/s?token=&a=1") == "/s?token=REDACTED&a=1");
  CHECK(redact_query("/s?a=&token=x==y") == "/s?a=&token=REDACTED");
}

namespace {

// A request target a client may send, with what a text line must show for it.
struct Hostile {
  std::string raw;
  std::string text;
};

const std::vector<Hostile> kHostile = {
    {"/x\r\n2026-01-01T00:00:00.000Z info  request method=GET uri=/admin",
     "/x\\x0D\\x0A2026-01-01T00:00:00.000Z info  request method=GET uri=/admin"},
    {"/\x1b[2J\x1b]0;owned\x07", "/\\x1B[2J\\x1B]0;owned\\x07"},
    {"/del\x7f/tab\t/nul" + std::string(1, '\0') + "/bs\b", "/del\\x7F/tab\\x09/nul\\x00/bs\\x08"},
    {"/back\\x0D\\", "/back\\\\x0D\\\\"},  // a literal "\x0D" stays distinguishable
    {"/caf\xC3\xA9/\xE2\x82\xAC", "/caf\xC3\xA9/\xE2\x82\xAC"},    // UTF-8 passes
    {"/c1\xC2\x9B[31m/\xC2\x85", "/c1\\xC2\\x9B[31m/\\xC2\\x85"},  // CSI, NEL
    {"/bad\xFF\xC3/\xE2\x82", "/bad\\xFF\\xC3/\\xE2\\x82"},        // not UTF-8
};

}  // namespace

TEST_CASE("logger: text lines escape control bytes in values and messages", "[util]") {
  Logger logger(LogLevel::kInfo, false);
  for (const auto& [raw, text] : kHostile) {
    INFO(text);
    const std::string out = captured_stderr([&] {
      logger.info("request", {{"method", "GET"}, {"uri", raw}, {"status", "404"}});
    });
    REQUIRE(out.find('\n') == out.size() - 1);  // one line, whatever the target held
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);
    const std::string time = out.substr(0, out.find(' '));
    CHECK(out.substr(time.size()) == " info  request method=GET uri=" + text + " status=404\n");
  }
  const std::string message = captured_stderr([&] { logger.warn("bad\nline\x1b", {}); });
  CHECK(message.substr(message.find(' ')) == " warn  bad\\x0Aline\\x1B\n");
}

TEST_CASE("logger: JSON lines escape control bytes and stay valid JSON", "[util]") {
  Logger logger(LogLevel::kInfo, true);
  for (const auto& [raw, text] : kHostile) {
    INFO(text);
    const std::string out = captured_stderr([&] { logger.info("request", {{"uri", raw}}); });
    REQUIRE(out.find('\n') == out.size() - 1);
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      const auto byte = static_cast<unsigned char>(out[i]);
      CHECK((byte >= 0x20 && byte != 0x7f));
      CHECK_FALSE((byte == 0xC2 && static_cast<unsigned char>(out[i + 1]) < 0xA0));  // no C1
    }
    CHECK(sse::is_valid_utf8(out));
    Poco::JSON::Parser parser;
    auto object = parser.parse(out).extract<Poco::JSON::Object::Ptr>();
    const std::string uri = object->getValue<std::string>("uri");
    if (sse::is_valid_utf8(raw)) {
      CHECK(uri == raw);  // JSON escapes lose nothing
    } else {
      CHECK(uri == text);  // the bytes that are not UTF-8 as the text \xNN
    }
  }
}
