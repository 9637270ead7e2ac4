#include "sse/wire/parser.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "sse/wire/encoder.hpp"

using sse::wire::ParsedEvent;
using sse::wire::Parser;
using namespace std::string_literals;

namespace {

struct Event {
  std::string type;
  std::string data;
  std::string last_event_id;
  bool operator==(const Event& other) const {
    return type == other.type && data == other.data && last_event_id == other.last_event_id;
  }
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << "{type=" << Catch::Detail::stringify(e.type)
            << " data=" << Catch::Detail::stringify(e.data)
            << " id=" << Catch::Detail::stringify(e.last_event_id) << "}";
}

// A parser that records what it dispatches.
struct Recorder {
  std::vector<Event> events;
  Parser parser;
  explicit Recorder(size_t max_bytes = Parser::kDefaultMaxBytes)
      : parser(
            [this](const ParsedEvent& e) {
              events.push_back({e.type, e.data, e.last_event_id});
            },
            max_bytes) {}
};

std::vector<Event> parse_whole(std::string_view stream) {
  Recorder r;
  r.parser.feed(stream);
  return r.events;
}

std::vector<Event> parse_bytewise(std::string_view stream) {
  Recorder r;
  for (char c : stream) r.parser.feed(std::string_view(&c, 1));
  return r.events;
}

std::vector<Event> parse_random_splits(std::string_view stream, std::mt19937& rng) {
  Recorder r;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::uniform_int_distribution<size_t>(0, 12)(rng);
    n = std::min(n, stream.size() - pos);
    r.parser.feed(stream.substr(pos, n));  // n may be 0: empty feeds are harmless
    pos += n;
  }
  return r.events;
}

Event message(std::string data, std::string id = "") {
  return {"message", std::move(data), std::move(id)};
}

}  // namespace

// --- The examples of WHATWG HTML 9.2 -------------------------------------------------------

TEST_CASE("parser: WHATWG intro example, three messages, one of two lines", "[wire]") {
  auto events = parse_whole(
      "data: This is the first message.\n"
      "\n"
      "data: This is the second message, it\n"
      "data: has two lines.\n"
      "\n"
      "data: This is the third message.\n"
      "\n");
  CHECK(events == std::vector<Event>{message("This is the first message."),
                                     message("This is the second message, it\nhas two lines."),
                                     message("This is the third message.")});
}

TEST_CASE("parser: WHATWG intro example, add and remove event types", "[wire]") {
  auto events = parse_whole(
      "event: add\ndata: 73857293\n\n"
      "event: remove\ndata: 2153\n\n"
      "event: add\ndata: 113411\n\n");
  CHECK(events ==
        std::vector<Event>{{"add", "73857293", ""}, {"remove", "2153", ""}, {"add", "113411", ""}});
}

TEST_CASE("parser: WHATWG stock ticker example, data lines joined by LF", "[wire]") {
  auto events = parse_whole("data: YHOO\ndata: +2\ndata: 10\n\n");
  CHECK(events == std::vector<Event>{message("YHOO\n+2\n10")});
}

TEST_CASE("parser: WHATWG example with a comment, ids and a kept leading space", "[wire]") {
  Recorder r;
  std::vector<std::string> comments;
  r.parser.set_comment_handler([&](std::string_view c) { comments.emplace_back(c); });
  r.parser.feed(
      ": test stream\n"
      "\n"
      "data: first event\n"
      "id: 1\n"
      "\n"
      "data:second event\n"
      "id\n"
      "\n"
      "data:  third event\n"
      "\n");
  // The second event's "id" line (no colon) resets the last event id to empty.
  CHECK(r.events == std::vector<Event>{message("first event", "1"), message("second event", ""),
                                       message(" third event", "")});
  CHECK(comments == std::vector<std::string>{"test stream"});
  CHECK(r.parser.last_event_id().empty());
}

TEST_CASE("parser: WHATWG example, 'data' with no colon and an unterminated event", "[wire]") {
  Recorder r;
  r.parser.feed("data\n\ndata\ndata\n\ndata:");
  // First: data "" (one empty line). Second: "\n". The last event never ends.
  CHECK(r.events == std::vector<Event>{message(""), message("\n")});
  r.parser.finish();
  CHECK(r.events.size() == 2);
}

TEST_CASE("parser: WHATWG example, 'data:test' and 'data: test' are the same", "[wire]") {
  auto events = parse_whole("data:test\n\ndata: test\n\n");
  CHECK(events == std::vector<Event>{message("test"), message("test")});
}

// --- Fields -------------------------------------------------------------------------------

TEST_CASE("parser: field value splits at the first colon only", "[wire]") {
  auto events = parse_whole("event: a:b\ndata: x: y :z\n\n");
  CHECK(events == std::vector<Event>{{"a:b", "x: y :z", ""}});
}

TEST_CASE("parser: only one leading space is removed", "[wire]") {
  auto events = parse_whole("data:   x \n\n");
  CHECK(events == std::vector<Event>{message("  x ")});
}

TEST_CASE("parser: unknown and differently cased fields are ignored", "[wire]") {
  auto events = parse_whole("foo: bar\nData: nope\nEVENT: nope\ndata: x\nretryx: 5\n\n");
  CHECK(events == std::vector<Event>{message("x")});
}

TEST_CASE("parser: an event with no data is not dispatched and resets the type", "[wire]") {
  auto events = parse_whole("event: a\n\ndata: x\n\n");
  CHECK(events == std::vector<Event>{message("x")});
}

TEST_CASE("parser: only one trailing LF is removed from data", "[wire]") {
  auto events = parse_whole("data: a\ndata:\ndata:\n\n");
  CHECK(events == std::vector<Event>{message("a\n\n")});
}

TEST_CASE("parser: no dispatch until a blank line", "[wire]") {
  Recorder r;
  r.parser.feed("data: x\n");
  CHECK(r.events.empty());
  r.parser.feed("data: y\n");
  CHECK(r.events.empty());
  r.parser.feed("\n");
  CHECK(r.events == std::vector<Event>{message("x\ny")});
}

TEST_CASE("parser: id sets the last event id, kept across events", "[wire]") {
  Recorder r;
  r.parser.feed("id: 5\ndata: a\n\ndata: b\n\nid: 6\n\n");
  CHECK(r.events == std::vector<Event>{message("a", "5"), message("b", "5")});
  // An id-only event dispatches nothing but still moves the last event id.
  CHECK(r.parser.last_event_id() == "6");
  r.parser.feed("id:\ndata: c\n\n");
  CHECK(r.events.back() == message("c", ""));
  CHECK(r.parser.last_event_id().empty());
}

TEST_CASE("parser: an id containing NUL is ignored", "[wire]") {
  Recorder r;
  r.parser.feed("id: 1\ndata: a\n\n");
  r.parser.feed("id: 2\0x\ndata: b\n\n"s);
  CHECK(r.events == std::vector<Event>{message("a", "1"), message("b", "1")});
  CHECK(r.parser.last_event_id() == "1");
}

TEST_CASE("parser: set_last_event_id resumes from a stored id", "[wire]") {
  Recorder r;
  r.parser.set_last_event_id("41");
  CHECK(r.parser.last_event_id() == "41");
  r.parser.feed("data: a\n\n");
  CHECK(r.events == std::vector<Event>{message("a", "41")});
}

TEST_CASE("parser: retry takes only ASCII digits", "[wire]") {
  Recorder r;
  CHECK_FALSE(r.parser.retry_ms().has_value());
  r.parser.feed("retry: 1500\n");
  CHECK(r.parser.retry_ms() == 1500u);
  for (const char* bad : {"retry: 15x\n", "retry: -1\n", "retry:  100\n", "retry: 1.5\n",
                          "retry:\n", "retry\n", "retry: \xD9\xA3\n"}) {
    CAPTURE(bad);
    r.parser.feed(bad);
    CHECK(r.parser.retry_ms() == 1500u);
  }
  r.parser.feed("retry:0\n");
  CHECK(r.parser.retry_ms() == 0u);
  r.parser.feed("retry: 99999999999999999999999\n");
  CHECK(r.parser.retry_ms() == 4294967295u);
  CHECK(r.events.empty());
}

TEST_CASE("parser: comments are ignored and observed without colon and one space", "[wire]") {
  Recorder r;
  std::vector<std::string> comments;
  r.parser.feed(": before any observer\n");
  r.parser.set_comment_handler([&](std::string_view c) { comments.emplace_back(c); });
  r.parser.feed("data: a\n:no space\n:  two spaces\n:\ndata: b\n\n");
  CHECK(r.events == std::vector<Event>{message("a\nb")});
  CHECK(comments == std::vector<std::string>{"no space", " two spaces", ""});
}

// What a parser saw, events and comments in one sequence: "event:<data>" or
// "comment:<text>".
struct Sequence {
  std::vector<std::string> seen;
  Parser parser;
  explicit Sequence(size_t max_bytes = Parser::kDefaultMaxBytes)
      : parser([this](const ParsedEvent& e) { seen.push_back("event:" + e.data); }, max_bytes) {
    parser.set_comment_handler(
        [this](std::string_view text) { seen.push_back("comment:" + std::string(text)); });
  }
};

TEST_CASE("parser: the caught-up comment is reported as caught-up in order with events", "[wire]") {
  const std::string stream = "id: 1\ndata: a\n\n: caught-up\n\nid: 2\ndata: b\n\n";
  const std::vector<std::string> expected{"event:a", "comment:caught-up", "event:b"};
  SECTION("whole") {
    Sequence s;
    s.parser.feed(stream);
    CHECK(s.seen == expected);
  }
  SECTION("byte by byte") {
    Sequence s;
    for (char c : stream) s.parser.feed(std::string_view(&c, 1));
    CHECK(s.seen == expected);
  }
  SECTION("with CRLF line ends split between chunks") {
    Sequence s;
    s.parser.feed("id: 1\r\ndata: a\r\n\r\n: caught");
    s.parser.feed("-up\r");
    s.parser.feed("\n\r\nid: 2\r\ndata: b\r\n\r\n");
    CHECK(s.seen == expected);
  }
  SECTION("as the encoder writes it") {
    Sequence s;
    s.parser.feed(sse::wire::encode_comment(sse::wire::kCaughtUpComment));
    s.parser.feed(std::string(sse::wire::kCaughtUpFrame));
    CHECK(s.seen == std::vector<std::string>{"comment:caught-up", "comment:caught-up"});
  }
}

TEST_CASE("parser: a comment inside an event neither ends nor changes it", "[wire]") {
  Sequence s;
  s.parser.feed("id: 7\nevent: note\n: between\ndata: a\n:\tkept tab\ndata: b\n\n");
  CHECK(s.seen == std::vector<std::string>{"comment:between", "comment:\tkept tab", "event:a\nb"});
  CHECK(s.parser.last_event_id() == "7");
}

TEST_CASE("parser: a comment right after a BOM is a comment", "[wire]") {
  Sequence s;
  s.parser.feed("\xEF\xBB");
  s.parser.feed("\xBF: hello\n");
  CHECK(s.seen == std::vector<std::string>{"comment:hello"});
}

TEST_CASE("parser: the comment handler can be replaced and removed", "[wire]") {
  Recorder r;
  std::vector<std::string> first, second;
  r.parser.set_comment_handler([&](std::string_view c) { first.emplace_back(c); });
  r.parser.feed(": one\n");
  r.parser.set_comment_handler([&](std::string_view c) { second.emplace_back(c); });
  r.parser.feed(": two\n");
  r.parser.set_comment_handler(nullptr);
  r.parser.feed(": three\ndata: x\n\n");
  CHECK(first == std::vector<std::string>{"one"});
  CHECK(second == std::vector<std::string>{"two"});
  CHECK(r.events == std::vector<Event>{message("x")});
}

TEST_CASE("parser: a comment line over the limit is dropped unseen", "[wire]") {
  Sequence s(64);
  s.parser.feed(": " + std::string(100, 'c') + "\n");
  s.parser.feed(": ");
  for (int i = 0; i < 10; ++i) s.parser.feed(std::string(100, 'c'));
  // Like any line over the limit it drops the event it is in (a blank line
  // ends that one); the next event is whole.
  s.parser.feed("\ndata: lost\n\n: short\ndata: ok\n\n");
  CHECK(s.parser.overflowed());
  CHECK(s.seen == std::vector<std::string>{"comment:short", "event:ok"});
}

// --- Line ends, chunking, BOM --------------------------------------------------------------

TEST_CASE("parser: CRLF, LF and CR all end lines", "[wire]") {
  CHECK(parse_whole("data: a\r\ndata: b\r\n\r\n") == std::vector<Event>{message("a\nb")});
  CHECK(parse_whole("data: a\rdata: b\r\r") == std::vector<Event>{message("a\nb")});
  CHECK(parse_whole("data: a\rdata: b\n\r\n") == std::vector<Event>{message("a\nb")});
  // LF CR is two line ends, so it is a blank line.
  CHECK(parse_whole("data: a\n\rdata: b\n\n") == std::vector<Event>{message("a"), message("b")});
}

TEST_CASE("parser: a CRLF split across chunks is one line end", "[wire]") {
  Recorder r;
  r.parser.feed("data: a\r");
  r.parser.feed("");  // an empty chunk between CR and LF changes nothing
  r.parser.feed("\ndata: b\r");
  r.parser.feed("\n");
  // Had the LF been taken as a line of its own, "a" would have been dispatched alone.
  CHECK(r.events.empty());
  r.parser.feed("\r");
  CHECK(r.events == std::vector<Event>{message("a\nb")});
  r.parser.feed("\ndata: c\n\n");
  CHECK(r.events == std::vector<Event>{message("a\nb"), message("c")});
}

TEST_CASE("parser: a CR at a chunk end followed by another line", "[wire]") {
  Recorder r;
  r.parser.feed("data: a\r");
  r.parser.feed("data: b\r");
  r.parser.feed("\r");
  CHECK(r.events == std::vector<Event>{message("a\nb")});
}

TEST_CASE("parser: a leading UTF-8 BOM is skipped, once, only at the start", "[wire]") {
  CHECK(parse_whole("\xEF\xBB\xBF"
                    "data: x\n\n") == std::vector<Event>{message("x")});
  CHECK(parse_bytewise("\xEF\xBB\xBF"
                       "data: x\n\n") == std::vector<Event>{message("x")});
  // A second BOM is part of the first field name, which is then unknown.
  CHECK(parse_whole("\xEF\xBB\xBF\xEF\xBB\xBF"
                    "data: x\n\ndata: y\n\n") == std::vector<Event>{message("y")});
  // Not at the start: data like any other.
  CHECK(parse_whole("data: \xEF\xBB\xBFx\n\n") == std::vector<Event>{message("\xEF\xBB\xBFx")});
  // A BOM prefix that turns out not to be one is passed through.
  CHECK(parse_bytewise("\xEF\xBB"
                       "data: x\n\ndata: y\n\n") == std::vector<Event>{message("y")});
  CHECK(parse_whole("\xEF\n"
                    "data: y\n\n") == std::vector<Event>{message("y")});
}

TEST_CASE("parser: byte-by-byte and random chunking give the same events", "[wire]") {
  const std::string stream =
      "\xEF\xBB\xBF"
      ": a comment\r\n"
      "retry: 2500\r\n"
      "id: 1\r\nevent: add\r\ndata: first\r\ndata:  second line\r\n\r\n"
      "data: cr only\rid: 2\r\r"
      "data\n\n"
      "event: ignored\n\n"
      "unknown: field\ndata: caf\xC3\xA9 \xF0\x9F\x98\x80\n\n"
      "id\ndata: x:y\n\n"
      "data: trailing, never dispatched\n";
  const std::vector<Event> expected = {{"add", "first\n second line", "1"},
                                       message("cr only", "2"),
                                       message("", "2"),
                                       message("caf\xC3\xA9 \xF0\x9F\x98\x80", "2"),
                                       message("x:y", "")};
  CHECK(parse_whole(stream) == expected);
  CHECK(parse_bytewise(stream) == expected);
  std::mt19937 rng(20240607);
  for (int i = 0; i < 500; ++i) {
    CAPTURE(i);
    REQUIRE(parse_random_splits(stream, rng) == expected);
  }
}

// --- End of stream and limits ---------------------------------------------------------------

TEST_CASE("parser: finish() discards the partial event and resets for a new stream", "[wire]") {
  Recorder r;
  r.parser.feed("id: 1\ndata: a\n\n");
  r.parser.feed("id: 2\nevent: partial\ndata: lost\ndata: half a li");
  r.parser.finish();
  CHECK(r.events == std::vector<Event>{{"message", "a", "1"}});
  // The unfinished event's id never became the last event id.
  CHECK(r.parser.last_event_id() == "1");
  // A new stream: it may start with a BOM again; type and data start empty.
  r.parser.feed(
      "\xEF\xBB\xBF"
      "ne\n\ndata: b\n\n");
  CHECK(r.events == std::vector<Event>{message("a", "1"), message("b", "1")});
}

TEST_CASE("parser: finish() forgets a pending CR", "[wire]") {
  Recorder r;
  r.parser.feed("data: a\n\ndata: b\r");
  r.parser.finish();
  // Without the reset, this LF would be taken as the second half of a CRLF.
  r.parser.feed("\ndata: c\n\n");
  CHECK(r.events == std::vector<Event>{message("a"), message("c")});
}

TEST_CASE("parser: a line over the limit drops its event, not the stream", "[wire]") {
  const std::string big(100, 'x');
  SECTION("the long line arrives whole") {
    Recorder r(64);
    r.parser.feed("id: 1\ndata: a\ndata: " + big + "\ndata: b\n\n");
    CHECK(r.events.empty());
    CHECK(r.parser.overflowed());
    CHECK(r.parser.last_event_id() == "1");  // the id still counts: no refetch loop
    r.parser.feed("data: ok\n\n");
    CHECK(r.events == std::vector<Event>{message("ok", "1")});
  }
  SECTION("a long line that is not data arrives whole") {
    Recorder r(64);
    r.parser.feed("event: " + big + "\ndata: b\n\n");
    CHECK(r.events.empty());
    CHECK(r.parser.overflowed());
  }
  SECTION("the long line arrives in pieces and is not buffered past the limit") {
    Recorder r(64);
    // Not a data line, so only the line cap (not the data cap) can catch it.
    r.parser.feed("data: a\nevent: ");
    for (int i = 0; i < 1000; ++i) r.parser.feed(big);
    CHECK(r.parser.overflowed());
    r.parser.feed("\ndata: b\n\ndata: ok\n\n");
    CHECK(r.events == std::vector<Event>{message("ok")});
  }
  SECTION("a line of exactly the limit is fine") {
    Recorder r(64);
    r.parser.feed("data: " + std::string(58, 'y') + "\n\n");
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].data == std::string(58, 'y'));
    CHECK_FALSE(r.parser.overflowed());
  }
}

TEST_CASE("parser: data over the limit across many lines drops the event", "[wire]") {
  Recorder r(64);
  std::string stream;
  for (int i = 0; i < 20; ++i) stream += "data: 0123456789\n";
  stream += "\ndata: small\n\n";
  r.parser.feed(stream);
  CHECK(r.parser.overflowed());
  CHECK(r.events == std::vector<Event>{message("small")});
}

TEST_CASE("parser: the default limit is 16 MiB", "[wire]") {
  Parser parser([](const ParsedEvent&) {});
  CHECK(parser.max_bytes() == 16u * 1024 * 1024);
  CHECK_FALSE(parser.overflowed());
}

// --- Round trip with the encoder ------------------------------------------------------------

namespace {

std::string random_text(std::mt19937& rng, bool allow_line_breaks) {
  static const std::vector<std::string> pieces = {
      "a",  "Z",       "0",     " ",           ":", "{\"k\":1}", "caf\xC3\xA9", "\xF0\x9F\x98\x80",
      "\t", "data: x", "id: 9", "\xEF\xBB\xBF"};
  static const std::vector<std::string> breaks = {"\n", "\r\n", "\r"};
  std::string out;
  const int n = std::uniform_int_distribution<int>(0, 8)(rng);
  for (int i = 0; i < n; ++i) {
    if (allow_line_breaks && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      out += breaks[std::uniform_int_distribution<size_t>(0, breaks.size() - 1)(rng)];
    } else {
      out += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    }
  }
  return out;
}

// What a WHATWG client makes of data: every CRLF and CR becomes LF.
std::string normalise_line_ends(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("parser: encode random events, parse them back, get the same events", "[wire]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    CAPTURE(round);
    std::string stream = sse::wire::encode_retry(1000 + round);
    std::vector<Event> expected;
    std::string last_id;
    const int count = std::uniform_int_distribution<int>(1, 10)(rng);
    for (int i = 0; i < count; ++i) {
      const std::string id = random_text(rng, false);
      const std::string type = random_text(rng, false);
      const std::string data = random_text(rng, true);
      REQUIRE(sse::wire::append_event(stream, {id, type, data}).ok());
      if (!id.empty()) last_id = id;
      expected.push_back({type.empty() ? "message" : type, normalise_line_ends(data), last_id});
      if (i % 3 == 0) stream += sse::wire::encode_comment(random_text(rng, true));
    }
    Recorder r;
    r.parser.feed(stream);
    REQUIRE(r.events == expected);
    CHECK(r.parser.retry_ms() == static_cast<uint32_t>(1000 + round));
    REQUIRE(parse_random_splits(stream, rng) == expected);
  }
}

TEST_CASE("parser: LF-only data survives a round trip byte for byte", "[wire]") {
  for (const auto& data : {""s, "\n"s, "\n\n"s, "a\n"s, "\na"s, " lead"s, "a\n\nb"s}) {
    CAPTURE(data);
    auto wire = sse::wire::encode_event({"id-1", "kind", data});
    REQUIRE(wire.ok());
    auto events = parse_whole(*wire);
    CHECK(events == std::vector<Event>{{"kind", data, "id-1"}});
  }
}
