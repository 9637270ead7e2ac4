// Fuzzes sse::wire::Parser (what ssectl tail and the tests read server
// streams with) on arbitrary bytes, and the encoder -> parser round trip.
//
// Invariants, each a trap when broken:
// - the events, comments, last event id, retry and overflow flag are the same
//   whether the stream is fed at once, byte by byte or in random chunks;
// - nothing the parser hands out holds bytes the stream did not: each data
//   line, the type, the id and each comment is a substring of the input, data
//   has no CR, type and id have no CR or LF, an id has no NUL;
// - with a small max_bytes, no dispatched data is larger than it;
// - sse::wire::append_event fails exactly on CR/LF/NUL in id or event and NUL
//   in data, leaving its output untouched; otherwise parsing its bytes gives
//   back one event with the same id, type and data (CRLF and CR as LF).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sse/wire/encoder.hpp"
#include "sse/wire/parser.hpp"

#include "fuzz_check.hpp"

namespace {

using sse::wire::ParsedEvent;
using sse::wire::Parser;

struct Outcome {
  std::vector<ParsedEvent> events;
  std::vector<std::string> comments;
  std::string last_event_id;
  std::optional<uint32_t> retry_ms;
  bool overflowed = false;
};

bool same_events(const std::vector<ParsedEvent>& a, const std::vector<ParsedEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].type != b[i].type || a[i].data != b[i].data ||
        a[i].last_event_id != b[i].last_event_id) {
      return false;
    }
  }
  return true;
}

bool operator==(const Outcome& a, const Outcome& b) {
  return same_events(a.events, b.events) && a.comments == b.comments &&
         a.last_event_id == b.last_event_id && a.retry_ms == b.retry_ms &&
         a.overflowed == b.overflowed;
}

enum class Split { kWhole, kBytewise, kRandom };

// Feeds `stream` to a fresh parser, cut as `split` says, calling finish() (a
// reconnection) after `finish_at` bytes and at the end.
Outcome parse(std::string_view stream, size_t max_bytes, Split split, size_t finish_at,
              uint32_t seed) {
  Outcome out;
  Parser parser([&out](const ParsedEvent& e) { out.events.push_back(e); }, max_bytes);
  parser.set_comment_handler([&out](std::string_view text) { out.comments.emplace_back(text); });
  std::minstd_rand rng(seed);
  const auto feed = [&](std::string_view part) {
    while (!part.empty()) {
      size_t n = part.size();
      if (split == Split::kBytewise) n = 1;
      if (split == Split::kRandom) n = std::min<size_t>(n, rng() % 9);  // 0-byte chunks too
      parser.feed(part.substr(0, n));
      part.remove_prefix(n);
    }
  };
  feed(stream.substr(0, finish_at));
  parser.finish();
  feed(stream.substr(finish_at));
  parser.finish();
  out.last_event_id = parser.last_event_id();
  out.retry_ms = parser.retry_ms();
  out.overflowed = parser.overflowed();
  return out;
}

bool in_stream(std::string_view stream, std::string_view part) {
  return stream.find(part) != std::string_view::npos;
}

void check_bytes_come_from(std::string_view stream, const Outcome& out, size_t max_bytes) {
  for (const ParsedEvent& e : out.events) {
    FUZZ_CHECK(e.data.size() <= max_bytes);
    FUZZ_CHECK(e.data.find('\r') == std::string::npos);
    std::string_view data = e.data;
    while (true) {
      const size_t lf = data.find('\n');
      FUZZ_CHECK(in_stream(stream, data.substr(0, lf)));
      if (lf == std::string_view::npos) break;
      data.remove_prefix(lf + 1);
    }
    FUZZ_CHECK(e.type == "message" || in_stream(stream, e.type));
    FUZZ_CHECK(e.type.find_first_of("\r\n") == std::string::npos);
    FUZZ_CHECK(in_stream(stream, e.last_event_id));
    FUZZ_CHECK(e.last_event_id.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
  }
  for (const std::string& comment : out.comments) {
    FUZZ_CHECK(in_stream(stream, comment));
    FUZZ_CHECK(comment.find_first_of("\r\n") == std::string::npos);
  }
  FUZZ_CHECK(in_stream(stream, out.last_event_id));
}

// WHATWG HTML 9.2.6 read literally, on whole connections: the reference the
// streaming parser is compared with (for inputs far below its max_bytes).
class ReferenceParser {
 public:
  Outcome parse(std::string_view stream, size_t finish_at) {
    connection(stream.substr(0, finish_at));
    connection(stream.substr(finish_at));
    out_.last_event_id = last_event_id_;
    return out_;
  }

 private:
  void connection(std::string_view bytes) {
    // One leading BOM is skipped; a line not ended at EOF is discarded, and so
    // is an event not ended by a blank line (its id never counts).
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    size_t start = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] != '\r' && bytes[i] != '\n') continue;
      line(bytes.substr(start, i - start));
      if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      start = i + 1;
    }
    data_.clear();
    type_.clear();
    id_buffer_ = last_event_id_;
  }

  void line(std::string_view text) {
    if (text.empty()) return dispatch();
    if (text[0] == ':') {
      text.remove_prefix(1);
      if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
      out_.comments.emplace_back(text);
      return;
    }
    std::string_view field = text, value;
    if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
      field = text.substr(0, colon);
      value = text.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (field == "event") {
      type_ = value;
    } else if (field == "data") {
      data_ += value;
      data_ += '\n';
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) id_buffer_ = value;
    } else if (field == "retry" && !value.empty() &&
               value.find_first_not_of("0123456789") == std::string_view::npos) {
      uint64_t ms = 0;
      for (char c : value) ms = std::min<uint64_t>(ms * 10 + (c - '0'), UINT32_MAX);
      out_.retry_ms = static_cast<uint32_t>(ms);
    }
  }

  void dispatch() {
    last_event_id_ = id_buffer_;
    if (data_.empty()) {
      type_.clear();
      return;
    }
    data_.pop_back();
    out_.events.push_back({type_.empty() ? "message" : type_, data_, last_event_id_});
    data_.clear();
    type_.clear();
  }

  Outcome out_;
  std::string data_, type_, id_buffer_, last_event_id_;
};

void check_chunking(std::string_view stream) {
  const uint32_t hash = static_cast<uint32_t>(std::hash<std::string_view>{}(stream));
  // A reconnection in the middle for one input in four; always one at the end.
  const size_t finish_at = (hash & 3) == 0 ? (hash >> 2) % (stream.size() + 1) : stream.size();
  for (size_t max_bytes : {Parser::kDefaultMaxBytes, size_t{1} + (hash >> 8) % 48}) {
    const Outcome whole = parse(stream, max_bytes, Split::kWhole, finish_at, hash);
    check_bytes_come_from(stream, whole, max_bytes);
    if (max_bytes == Parser::kDefaultMaxBytes) {
      FUZZ_CHECK(!whole.overflowed);
      FUZZ_CHECK(ReferenceParser().parse(stream, finish_at) == whole);
    }
    FUZZ_CHECK(parse(stream, max_bytes, Split::kBytewise, finish_at, hash) == whole);
    FUZZ_CHECK(parse(stream, max_bytes, Split::kRandom, finish_at, hash) == whole);
  }
}

bool has_any(std::string_view text, std::string_view chars) {
  return text.find_first_of(chars) != std::string_view::npos;
}

// CRLF and CR as LF: what a WHATWG parser gives back for multi-line data.
std::string normalise_line_breaks(std::string_view text) {
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

void check_round_trip(const uint8_t* bytes, size_t size) {
  FuzzedDataProvider provider(bytes, size);
  const std::string id = provider.ConsumeRandomLengthString(64);
  const std::string type = provider.ConsumeRandomLengthString(64);
  const std::string data = provider.ConsumeRemainingBytesAsString();

  const std::string prefix = "retry: 10\n\n";
  std::string wire = prefix;
  const sse::Status status = sse::wire::append_event(wire, {id, type, data});
  const bool encodable = !has_any(id, std::string_view("\r\n\0", 3)) &&
                         !has_any(type, std::string_view("\r\n\0", 3)) &&
                         data.find('\0') == std::string::npos;
  FUZZ_CHECK(status.ok() == encodable);
  if (!status.ok()) {
    FUZZ_CHECK(wire == prefix);
    return;
  }
  FUZZ_CHECK(wire.compare(0, prefix.size(), prefix) == 0);

  for (Split split : {Split::kWhole, Split::kBytewise}) {
    const Outcome out = parse(wire, Parser::kDefaultMaxBytes, split, wire.size(), 0);
    FUZZ_CHECK(out.events.size() == 1);
    FUZZ_CHECK(out.events[0].type == (type.empty() ? "message" : type));
    FUZZ_CHECK(out.events[0].data == normalise_line_breaks(data));
    FUZZ_CHECK(out.events[0].last_event_id == id);
    FUZZ_CHECK(out.retry_ms == 10u);
    FUZZ_CHECK(!out.overflowed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  check_chunking(std::string_view(reinterpret_cast<const char*>(bytes), size));
  check_round_trip(bytes, size);
  return 0;
}
