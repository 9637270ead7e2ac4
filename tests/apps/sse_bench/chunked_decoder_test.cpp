#include "sse-bench/chunked_decoder.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

using sse::bench::ChunkedDecoder;

namespace {

struct Decoded {
  std::string body;
  bool done = false;
  bool error = false;
  size_t unconsumed = 0;  // input bytes left after done
};

// Feeds `wire` in pieces cut at `cuts`, each piece decoded in its own buffer.
Decoded decode_pieces(const std::string& wire, const std::vector<size_t>& cuts) {
  ChunkedDecoder decoder;
  Decoded out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (size_t end : ends) {
    std::string piece = wire.substr(from, end - from);
    const auto step = decoder.decode(piece.data(), piece.size());
    out.body.append(piece.data(), step.body);
    out.done = step.done;
    out.error = step.error;
    if (step.done) out.unconsumed += piece.size() - step.consumed;
    from = end;
  }
  return out;
}

Decoded decode_whole(const std::string& wire) { return decode_pieces(wire, {}); }

const std::string kWire =
    "4\r\nWiki\r\n"
    "7;name=value\r\npedia i\r\n"
    "B\r\nn \r\nchunks.\r\n"
    "0\r\nExpires: never\r\n\r\n";
const std::string kBody = "Wikipedia in \r\nchunks.";

}  // namespace

TEST_CASE("sse-bench chunked: a whole body with an extension and a trailer", "[sse-bench]") {
  const auto d = decode_whole(kWire);
  CHECK(d.body == kBody);
  CHECK(d.done);
  CHECK_FALSE(d.error);
  CHECK(d.unconsumed == 0);
}

TEST_CASE("sse-bench chunked: split in two at every byte boundary", "[sse-bench]") {
  for (size_t cut = 0; cut <= kWire.size(); ++cut) {
    INFO("cut at " << cut);
    const auto d = decode_pieces(kWire, {cut});
    CHECK(d.body == kBody);
    CHECK(d.done);
    CHECK_FALSE(d.error);
  }
}

TEST_CASE("sse-bench chunked: split in three at every pair of boundaries", "[sse-bench]") {
  for (size_t a = 0; a <= kWire.size(); ++a) {
    for (size_t b = a; b <= kWire.size(); ++b) {
      const auto d = decode_pieces(kWire, {a, b});
      if (d.body != kBody || !d.done) FAIL("cuts at " << a << " and " << b);
    }
  }
}

TEST_CASE("sse-bench chunked: one byte at a time", "[sse-bench]") {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kWire.size(); ++i) cuts.push_back(i);
  const auto d = decode_pieces(kWire, cuts);
  CHECK(d.body == kBody);
  CHECK(d.done);
}

TEST_CASE("sse-bench chunked: an endless SSE stream as Nchan sends it", "[sse-bench]") {
  const std::string event1 = "id: 1:0\ndata: sb:0:0:5\n\n";
  const std::string event2 = "id: 2:0\ndata: sb:0:1:6\n\n";
  char size1[8], size2[8];
  std::snprintf(size1, sizeof size1, "%zx", event1.size());
  std::snprintf(size2, sizeof size2, "%zX", event2.size());
  const std::string wire =
      std::string(size1) + "\r\n" + event1 + "\r\n" + size2 + "\r\n" + event2 + "\r\n";
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    const auto d = decode_pieces(wire, {cut});
    CHECK(d.body == event1 + event2);
    CHECK_FALSE(d.done);
    CHECK_FALSE(d.error);
  }
}

TEST_CASE("sse-bench chunked: bare LF line ends are accepted", "[sse-bench]") {
  const auto d = decode_whole("3\nabc\n0\n\n");
  CHECK(d.body == "abc");
  CHECK(d.done);
}

TEST_CASE("sse-bench chunked: bytes after the last chunk are left unconsumed", "[sse-bench]") {
  const auto d = decode_whole("2\r\nok\r\n0\r\n\r\nHTTP/1.1 202 Accepted\r\n");
  CHECK(d.body == "ok");
  CHECK(d.done);
  CHECK(d.unconsumed == std::string("HTTP/1.1 202 Accepted\r\n").size());
}

TEST_CASE("sse-bench chunked: malformed framing fails and stays failed", "[sse-bench]") {
  CHECK(decode_whole("zz\r\n").error);
  CHECK(decode_whole("\r\n").error);
  CHECK(decode_whole("3\r\nabcX\r\n").error);         // no CRLF after the data
  CHECK(decode_whole("3\r\nabc\rX").error);           // CR not followed by LF
  CHECK(decode_whole("1000000000000000\r\n").error);  // 16 hex digits
  ChunkedDecoder decoder;
  std::string bad = "x";
  CHECK(decoder.decode(bad.data(), bad.size()).error);
  std::string good = "1\r\na\r\n";
  const auto step = decoder.decode(good.data(), good.size());
  CHECK(step.error);
  CHECK(step.body == 0);
  CHECK(decoder.failed());
  decoder.reset();
  CHECK(decoder.decode(good.data(), good.size()).body == 1);
}
