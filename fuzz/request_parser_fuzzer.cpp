// Fuzzes sse::http::RequestParser (what the server's event loops read
// requests with) on the bytes of a connection: requests one after another,
// each parsed after a reset(), with the bytes a parser did not take fed again.
//
// Invariants, each a trap when broken:
// - feed() takes no more than it is given, and nothing once kComplete or
//   kError;
// - the requests (and the state the last one is left in) are the same whether
//   the bytes arrive whole, cut at one point derived from the input, in small
//   pieces, or (small inputs) one byte at a time;
// - a complete request's body is at most max_body_bytes: exactly
//   content_length with kLength, empty with kNone;
// - a head holds only what the rules allow: a token method, an origin-form
//   target (or "*" with OPTIONS), HTTP/1.0 or 1.1, at most max_fields fields
//   with token names and trimmed values of allowed bytes, chunked only in 1.1
//   and never beside Content-Length, at most one Host;
// - an error is one of the five statuses with its code and an ASCII message.
// Each input runs with the default limits and with small ones that it can
// reach.

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.hpp"

#include "fuzz_check.hpp"

namespace {

using sse::http::BodyFraming;
using sse::http::ParseLimits;
using sse::http::RequestParser;
using State = RequestParser::State;

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void check_error(const RequestParser& parser) {
  const auto& error = parser.error();
  const char* code = error.status == 400   ? "bad_request"
                     : error.status == 413 ? "payload_too_large"
                     : error.status == 414 ? "uri_too_long"
                     : error.status == 431 ? "request_header_fields_too_large"
                     : error.status == 505 ? "http_version_not_supported"
                                           : nullptr;
  FUZZ_CHECK(code != nullptr);
  FUZZ_CHECK(error.code == code);
  FUZZ_CHECK(!error.message.empty());
  for (char c : error.message) FUZZ_CHECK(c >= 0x20 && c < 0x7F);
}

void check_head(const RequestParser& parser, const ParseLimits& limits) {
  const auto& head = parser.head();
  FUZZ_CHECK(is_token(head.method));
  FUZZ_CHECK(!head.target.empty());
  FUZZ_CHECK(head.target.front() == '/' || (head.target == "*" && head.method == "OPTIONS"));
  for (char c : head.target) FUZZ_CHECK(c >= 0x21 && c <= 0x7E);
  FUZZ_CHECK(head.minor_version == 0 || head.minor_version == 1);
  FUZZ_CHECK(head.fields.size() <= limits.max_fields);
  int hosts = 0;
  for (const auto& field : head.fields) {
    FUZZ_CHECK(is_token(field.name));
    if (iequals(field.name, "Host")) ++hosts;
    const std::string& value = field.value;
    if (!value.empty()) {
      FUZZ_CHECK(value.front() != ' ' && value.front() != '\t');
      FUZZ_CHECK(value.back() != ' ' && value.back() != '\t');
    }
    for (char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      FUZZ_CHECK(byte >= 0x20 || c == '\t');
      FUZZ_CHECK(byte != 0x7F);
    }
  }
  FUZZ_CHECK(hosts <= 1);
  if (head.framing == BodyFraming::kChunked) {
    FUZZ_CHECK(head.minor_version == 1);
    FUZZ_CHECK(!head.get("Content-Length"));
  }
  if (head.framing == BodyFraming::kLength) {
    FUZZ_CHECK(head.content_length <= limits.max_body_bytes);
    FUZZ_CHECK(!head.get("Transfer-Encoding"));
  }
  if (head.minor_version == 0) FUZZ_CHECK(!head.expect_continue);
}

void check_complete(const RequestParser& parser, const ParseLimits& limits) {
  check_head(parser, limits);
  const auto& head = parser.head();
  FUZZ_CHECK(parser.body().size() <= limits.max_body_bytes);
  FUZZ_CHECK(parser.body_bytes_expected() == 0);
  if (head.framing == BodyFraming::kLength) FUZZ_CHECK(parser.body().size() == head.content_length);
  if (head.framing == BodyFraming::kNone) FUZZ_CHECK(parser.body().empty());
}

// What a request came to, as one string to compare runs by.
std::string describe(const RequestParser& parser, size_t consumed) {
  std::string out =
      std::to_string(consumed) + "|" + std::to_string(static_cast<int>(parser.state())) + "|" +
      std::to_string(parser.started()) + "|" + std::to_string(parser.body_bytes_expected());
  if (parser.state() == State::kError) {
    out += "|" + std::to_string(parser.error().status) + "|" + parser.error().message;
  }
  if (parser.head_complete()) {
    const auto& head = parser.head();
    out += "|" + head.method + "|" + head.target + "|" + head.authority + "|" +
           std::to_string(head.minor_version) + "|" +
           std::to_string(static_cast<int>(head.framing)) + "|" +
           std::to_string(head.content_length) + "|" + std::to_string(head.keep_alive) +
           std::to_string(head.expect_continue);
    for (const auto& field : head.fields) out += "|" + field.name + ":" + field.value;
  }
  return out + "|" + parser.body();
}

// A connection's loop over `input` arriving in pieces that end at `cuts`
// (increasing) and at the end: feed what is pending, keep what was not
// taken, reset() after each complete request. Returns what each request came
// to, and last the state the connection was left in.
std::vector<std::string> run(std::string_view input, const ParseLimits& limits,
                             const std::vector<size_t>& cuts) {
  std::vector<std::string> requests;
  RequestParser parser(limits);
  std::string pending;
  size_t consumed = 0;
  size_t begin = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : input.size();
    pending.append(input.substr(begin, end - begin));
    begin = end;
    while (!pending.empty() && parser.state() != State::kError) {
      const size_t took = parser.feed(pending);
      FUZZ_CHECK(took <= pending.size());
      pending.erase(0, took);
      consumed += took;
      if (parser.state() == State::kError) {
        check_error(parser);
        FUZZ_CHECK(parser.feed(pending) == 0);
        break;
      }
      if (parser.state() != State::kComplete) {
        FUZZ_CHECK(pending.empty());  // an unfinished request takes all it is given
        break;
      }
      check_complete(parser, limits);
      FUZZ_CHECK(parser.feed(pending) == 0);
      requests.push_back(describe(parser, consumed));
      parser.reset();
      consumed = 0;
    }
  }
  if (parser.state() == State::kBody) check_head(parser, limits);
  requests.push_back(describe(parser, consumed));
  return requests;
}

uint64_t fnv1a(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

void check_splits(std::string_view input, const ParseLimits& limits) {
  const std::vector<std::string> whole = run(input, limits, {});
  const uint64_t hash = fnv1a(input);

  const size_t cut = input.empty() ? 0 : static_cast<size_t>(hash % (input.size() + 1));
  FUZZ_CHECK(run(input, limits, {cut}) == whole);

  std::minstd_rand rng(static_cast<uint32_t>(hash >> 32));
  std::vector<size_t> pieces;
  for (size_t at = rng() % 16; at < input.size(); at += 1 + rng() % 16) pieces.push_back(at);
  FUZZ_CHECK(run(input, limits, pieces) == whole);

  if (input.size() <= 1024) {
    std::vector<size_t> bytewise;
    for (size_t at = 1; at < input.size(); ++at) bytewise.push_back(at);
    FUZZ_CHECK(run(input, limits, bytewise) == whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  check_splits(input, ParseLimits{});
  ParseLimits small;
  small.max_head_bytes = 160;
  small.max_target_bytes = 24;
  small.max_fields = 6;
  small.max_body_bytes = 32;
  check_splits(input, small);
  return 0;
}
