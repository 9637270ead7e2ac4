#pragma once

// Reading a POST body: content type, UTF-8, one JSON object; and the typed
// field getters the endpoints use. Every failure is an ApiError that names
// the field or the rule.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/exchange.hpp"

namespace sse {

// A JSON object body, checked whole in one pass (RFC 8259, with RFC 7493's
// rules) and kept as its text plus an index of its top-level members. A
// member's value is a span of the text: strings are decoded only when an
// endpoint reads them, and any value can be passed on as it was sent.
//
// Immutable once parsed, so safe to read from any thread.
class JsonBody {
 public:
  enum class Kind : uint8_t { kNull, kTrue, kFalse, kInteger, kNumber, kString, kObject, kArray };

  // One top-level member: its decoded name, and where its value is in text().
  struct Member {
    std::string name;
    Kind kind;
    uint32_t begin;  // the value's first byte
    uint32_t end;    // one past its last
  };

  const std::string& text() const { return text_; }
  // The top-level members, in the order they were sent (names are unique).
  const std::vector<Member>& members() const { return members_; }
  // The member called `name`, or null.
  const Member* find(std::string_view name) const;

  // `member`'s value as sent, less the whitespace between its tokens: one
  // line of JSON (inside strings nothing is changed; no CR or LF is left).
  std::string compact(const Member& member) const;
  // A kString member's value, decoded (escapes resolved, valid UTF-8).
  std::string string_value(const Member& member) const;

 private:
  friend class JsonBodyParser;
  friend Result<JsonBody, ApiError> parse_json_object(std::string text);

  std::string text_;
  std::vector<Member> members_;
};

// True for "application/json" in any case, with or without parameters.
bool is_json_media_type(std::string_view content_type);

// Checks Content-Type (415) and parses a complete body (the edge has read
// it whole and bounded its size) as a JSON object: an empty body is a 400.
Result<JsonBody, ApiError> read_json_object(std::string_view content_type, std::string body);

// Parses `text` as one JSON object (400 on anything else): valid UTF-8, at
// most 32 levels deep, no key twice in one object, no integer outside
// [-2^63, 2^64-1], no number beyond a double's range, no lone surrogate
// escape. O(n log n) in the size of `text` whatever it holds (the keys of
// a large object are sorted to find duplicates).
Result<JsonBody, ApiError> parse_json_object(std::string text);

// Typed reads of a body's fields. Each read returns the field's value, or an
// empty value when the field is wrong; the first failure is kept (a 400 that
// names the field), and the endpoint checks error() once after its reads:
//
//   FieldReader fields(body);
//   std::string title = fields.required_string("title", 1000);
//   std::optional<std::string> type = fields.optional_string("type", 32);
//   if (fields.failed()) return *fields.error();
//
// A field that is JSON null counts as missing. Not thread-safe; `body` must
// outlive the reader.
class FieldReader {
 public:
  static constexpr size_t kDefaultMaxLength = 10000;

  explicit FieldReader(const JsonBody& body) : body_(body) {}

  // A non-empty string of at most `max_length` bytes.
  std::string required_string(std::string_view name, size_t max_length = kDefaultMaxLength);
  // A string of at most `max_length` bytes, or nullopt when missing.
  std::optional<std::string> optional_string(std::string_view name,
                                             size_t max_length = kDefaultMaxLength);
  // A non-empty string or an integer (not a boolean), as text (an integer
  // as its digits were sent; -0 as 0).
  std::string required_id(std::string_view name, size_t max_length);
  // An integer in [0, 2^63), or nullopt when missing.
  std::optional<int64_t> optional_non_negative_integer(std::string_view name);
  // The field as one line of JSON, as it was sent ("null" when missing).
  std::string json_text(std::string_view name) const;

  // Records a failure found by the endpoint's own checks (the first one wins).
  void fail(ApiError error);
  bool failed() const { return error_.has_value(); }
  const std::optional<ApiError>& error() const { return error_; }

 private:
  // The field, unless it is missing or null.
  const JsonBody::Member* present(std::string_view name) const;
  // optional_string() of the member found for `name` (null: missing).
  std::optional<std::string> string_of(const JsonBody::Member* member, std::string_view name,
                                       size_t max_length);

  const JsonBody& body_;
  std::optional<ApiError> error_;
};

}  // namespace sse
