#pragma once

// Reading a POST body: content type, size bound, UTF-8, JSON object; and the
// typed field getters the endpoints use. Every failure is an ApiError that
// names the field or the limit.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

#include "server/exchange.hpp"

namespace sse {

// True for "application/json" in any case, with or without parameters.
bool is_json_media_type(std::string_view content_type);

// Checks Content-Type (415), reads at most `max_bytes` (413) within
// `time_limit` (408: a client trickling its body does not hold the worker),
// checks UTF-8 and parses a JSON object (400). A body without Content-Length
// or chunked encoding is empty (RFC 9112 6.3), and one that ends before its
// Content-Length, or cannot be read, is a 400: never parsed as if whole. Every
// error that leaves body bytes unread turns keep-alive off.
Result<Poco::JSON::Object::Ptr, ApiError> read_json_object(Exchange& ex, int64_t max_bytes,
                                                           std::chrono::milliseconds time_limit);

// Parses `text` as a JSON object (400 on anything else); depth-limited.
Result<Poco::JSON::Object::Ptr, ApiError> parse_json_object(const std::string& text);

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

  explicit FieldReader(const Poco::JSON::Object& body) : body_(body) {}

  // A non-empty string of at most `max_length` bytes.
  std::string required_string(const std::string& name, size_t max_length = kDefaultMaxLength);
  // A string of at most `max_length` bytes, or nullopt when missing.
  std::optional<std::string> optional_string(const std::string& name,
                                             size_t max_length = kDefaultMaxLength);
  // A non-empty string or an integer (not a boolean), as text.
  std::string required_id(const std::string& name, size_t max_length);
  // An integer >= 0, or nullopt when missing.
  std::optional<int64_t> optional_non_negative_integer(const std::string& name);
  // The field as compact one-line JSON text ("null" when missing).
  std::string json_text(const std::string& name) const;

  // Records a failure found by the endpoint's own checks (the first one wins).
  void fail(ApiError error);
  bool failed() const { return error_.has_value(); }
  const std::optional<ApiError>& error() const { return error_; }

 private:
  bool present(const std::string& name) const;

  const Poco::JSON::Object& body_;
  std::optional<ApiError> error_;
};

}  // namespace sse
