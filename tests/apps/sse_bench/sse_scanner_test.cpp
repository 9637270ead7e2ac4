#include "sse-bench/sse_scanner.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sse-bench/stamp.hpp"

using sse::bench::find_stamp;
using sse::bench::SseScanner;
using sse::bench::Stamp;

namespace {

// What a scan dispatched: stamps in order, "-" for an event without one.
struct Recorder : sse::bench::EventSink {
  std::vector<std::string> events;
  void on_stamped(const Stamp& s) override {
    events.push_back(std::to_string(s.channel) + "/" + std::to_string(s.cseq) + "/" +
                     std::to_string(s.send_ns));
  }
  void on_other() override { events.push_back("-"); }
};

struct Scan {
  std::vector<std::string> events;
  std::string last_id;
};

Scan scan_pieces(const std::string& stream, const std::vector<size_t>& cuts) {
  SseScanner scanner;
  Recorder recorder;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(stream.size());
  for (size_t end : ends) {
    REQUIRE(scanner.feed(std::string_view(stream).substr(from, end - from), recorder));
    from = end;
  }
  return {recorder.events, scanner.last_id()};
}

Scan scan(const std::string& stream) { return scan_pieces(stream, {}); }

// Our server's realtime frame around a stamp.
std::string realtime_frame(const std::string& id, const std::string& stamp) {
  return "id: " + id + "\nevent: update\ndata: {\"entityType\":\"bench\",\"entityId\":\"0\"," +
         "\"action\":\"update\",\"data\":\"" + stamp +
         "\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n\n";
}

const std::string kMixed = "retry: 3000\n\n" + realtime_frame("7", "sb:0:0:100") +
                           "event: heartbeat\ndata: {\"timestamp\":\"x\"}\n\n" + ": a comment\r\n" +
                           "id: 9\r\ndata: first line\r\ndata: sb:2:5:300\r\n\r\n" +
                           realtime_frame("10", "sb:1:1:200");

}  // namespace

TEST_CASE("sse-bench stamp: written and found again", "[sse-bench]") {
  std::string text;
  sse::bench::append_stamp(text, Stamp{3, 41, 1234567890123});
  CHECK(text == "sb:3:41:1234567890123");
  CHECK(find_stamp(text) == Stamp{3, 41, 1234567890123});
  CHECK(find_stamp("{\"data\":\"" + text + "\"}") == Stamp{3, 41, 1234567890123});
}

TEST_CASE("sse-bench stamp: malformed candidates are skipped", "[sse-bench]") {
  CHECK_FALSE(find_stamp(""));
  CHECK_FALSE(find_stamp("sb:"));
  CHECK_FALSE(find_stamp("sb:1:2"));
  CHECK_FALSE(find_stamp("sb:1:2:"));
  CHECK_FALSE(find_stamp("sb:x:2:3"));
  CHECK_FALSE(find_stamp("sb:4294967296:0:0"));  // channel over 32 bits
  CHECK_FALSE(find_stamp("sb:0:0:99999999999999999999"));
  CHECK(find_stamp("usb:x sb:1:2:3") == Stamp{1, 2, 3});
  CHECK(find_stamp("sb:sb:1:2:3") == Stamp{1, 2, 3});
  CHECK(find_stamp("sb:1:2:3:4") == Stamp{1, 2, 3});
}

TEST_CASE("sse-bench scanner: stamped and other events with ids from LF and CRLF lines",
          "[sse-bench]") {
  const auto s = scan(kMixed);
  CHECK(s.events == std::vector<std::string>{"0/0/100", "-", "2/5/300", "1/1/200"});
  CHECK(s.last_id == "10");
}

TEST_CASE("sse-bench scanner: split in two at every byte boundary gives the same events",
          "[sse-bench]") {
  const auto whole = scan(kMixed);
  for (size_t cut = 0; cut <= kMixed.size(); ++cut) {
    const auto s = scan_pieces(kMixed, {cut});
    if (s.events != whole.events || s.last_id != whole.last_id) FAIL("cut at " << cut);
  }
}

TEST_CASE("sse-bench scanner: one byte at a time gives the same events", "[sse-bench]") {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kMixed.size(); ++i) cuts.push_back(i);
  const auto s = scan_pieces(kMixed, cuts);
  CHECK(s.events == scan(kMixed).events);
  CHECK(s.last_id == "10");
}

TEST_CASE("sse-bench scanner: WHATWG stock ticker example with multi-line data", "[sse-bench]") {
  // WHATWG HTML 9.2.6 example: three data lines make one event.
  const auto s = scan("data: YHOO\ndata: +2\ndata: 10\n\n");
  CHECK(s.events == std::vector<std::string>{"-"});
  // A stamp on any line of a multi-line event counts; only the first is taken.
  CHECK(scan("data: a\ndata: sb:4:4:4\ndata: sb:5:5:5\n\n").events ==
        std::vector<std::string>{"4/4/4"});
}

TEST_CASE("sse-bench scanner: WHATWG example with comments and ids", "[sse-bench]") {
  // WHATWG HTML 9.2.6: the comment is skipped; an id line without data
  // dispatches nothing but sets the last event id.
  const auto s = scan(
      ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
      "data:  third event\n\n");
  CHECK(s.events == std::vector<std::string>{"-", "-", "-"});
  CHECK(s.last_id == "");  // "id" with no value empties it
  CHECK(scan("id: 5\n\n").events.empty());
  CHECK(scan("id: 5\n\n").last_id == "5");
}

TEST_CASE("sse-bench scanner: 'data' without a colon is an event and an unterminated one is not",
          "[sse-bench]") {
  // WHATWG HTML 9.2.6 example: "data\n\ndata\ndata\n\ndata:" is two events.
  CHECK(scan("data\n\ndata\ndata\n\ndata:").events == std::vector<std::string>{"-", "-"});
}

TEST_CASE("sse-bench scanner: an id holding NUL is ignored", "[sse-bench]") {
  CHECK(scan(std::string("id: 3\n\nid: 4\0x\n\n", 17)).last_id == "3");
}

TEST_CASE("sse-bench scanner: a leading byte order mark is skipped", "[sse-bench]") {
  const auto s = scan(
      "\xEF\xBB\xBF"
      "data: sb:1:2:3\n\n");
  CHECK(s.events == std::vector<std::string>{"1/2/3"});
  for (size_t cut = 0; cut <= 5; ++cut) {
    CHECK(scan_pieces("\xEF\xBB\xBF"
                      "data: sb:1:2:3\n\n",
                      {cut})
              .events == std::vector<std::string>{"1/2/3"});
  }
}

TEST_CASE("sse-bench scanner: stamps only count in data fields", "[sse-bench]") {
  CHECK(scan("event: sb:1:2:3\ndata: x\n\n").events == std::vector<std::string>{"-"});
  CHECK(scan("id: sb:1:2:3\ndata: x\n\n").events == std::vector<std::string>{"-"});
  CHECK(scan(": sb:1:2:3\n\n").events.empty());
}

TEST_CASE("sse-bench scanner: a line over the limit fails the stream", "[sse-bench]") {
  SseScanner scanner;
  Recorder recorder;
  const std::string chunk(64 * 1024, 'x');
  bool ok = scanner.feed("data: ", recorder);
  for (size_t n = 0; ok && n < SseScanner::kMaxLineBytes / chunk.size() + 2; ++n) {
    ok = scanner.feed(chunk, recorder);
  }
  CHECK_FALSE(ok);
}

TEST_CASE("sse-bench scanner: restart drops a partial event and keeps the last id", "[sse-bench]") {
  SseScanner scanner;
  Recorder recorder;
  REQUIRE(scanner.feed("id: 8\n\ndata: sb:1:1:1\n", recorder));
  scanner.restart();
  REQUIRE(scanner.feed("\ndata: sb:2:2:2\n\n", recorder));
  CHECK(recorder.events == std::vector<std::string>{"2/2/2"});
  CHECK(scanner.last_id() == "8");
}

// A stream cut between an event's id line and its blank line: reconnecting
// must resume after the last whole event, not after the one never received.
TEST_CASE("sse-bench scanner: an id counts only once its event is complete", "[sse-bench]") {
  SseScanner scanner;
  Recorder recorder;
  REQUIRE(scanner.feed("id: 6\ndata: sb:1:1:1\n\nid: 7\ndata: sb:1:2:2\n", recorder));
  CHECK(scanner.last_id() == "6");
  scanner.restart();
  CHECK(scanner.last_id() == "6");
  REQUIRE(scanner.feed("id: 7\ndata: sb:1:2:2\n\n", recorder));
  CHECK(scanner.last_id() == "7");
  CHECK(recorder.events == std::vector<std::string>{"1/1/1", "1/2/2"});
}
