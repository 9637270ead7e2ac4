#pragma once

// Reading a POST body: content type, size bound, UTF-8, JSON object; and the
// typed field getters the endpoints use. Every failure is an ApiError that
// names the field or the limit.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "server/exchange.hpp"

namespace sse {

// A JSON object body, parsed. Its objects are Poco's sorted ones: a Poco
// object that keeps insertion order compares a new key with every key it has,
// so a body of n keys would take O(n^2) to parse (12,000 keys: a second).
// The order each object's keys came in is kept here instead, for
// FieldReader::json_text, which must pass `data` on as it was sent.
//
// Immutable once parsed, so safe to read from any thread.
class JsonBody {
 public:
  // Each object's keys in the order sent, by object.
  using KeyOrder = std::unordered_map<const Poco::JSON::Object*, std::vector<std::string>>;

  // `root` (not null), whose objects listed in `key_order` are written in
  // that order; the rest, and objects added later, in Poco's sorted order.
  JsonBody(Poco::JSON::Object::Ptr root, KeyOrder key_order)
      : root_(std::move(root)), key_order_(std::move(key_order)) {}

  // The top-level object.
  const Poco::JSON::Object& object() const { return *root_; }

  // `value` as compact one-line JSON, written as Poco writes it except that
  // the keys of every object of this body come in the order they were sent
  // (an object from elsewhere comes in Poco's sorted order).
  std::string compact(const Poco::Dynamic::Var& value) const;

 private:
  void write(const Poco::Dynamic::Var& value, std::ostream& out) const;

  Poco::JSON::Object::Ptr root_;
  KeyOrder key_order_;
};

using JsonBodyPtr = std::shared_ptr<const JsonBody>;

// True for "application/json" in any case, with or without parameters.
bool is_json_media_type(std::string_view content_type);

// Checks Content-Type (415) and parses a complete body (the edge has read
// it whole and bounded its size) as a JSON object: an empty body is a 400.
Result<JsonBodyPtr, ApiError> read_json_object(std::string_view content_type,
                                               const std::string& body);

// Parses `text` as a JSON object (400 on anything else): valid UTF-8, at most
// 32 levels deep, no key twice in one object, no integer outside [-2^63,
// 2^64-1]. O(n log n) in the size of `text`.
Result<JsonBodyPtr, ApiError> parse_json_object(const std::string& text);

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

  explicit FieldReader(const JsonBody& body) : body_(body), fields_(body.object()) {}

  // A non-empty string of at most `max_length` bytes.
  std::string required_string(const std::string& name, size_t max_length = kDefaultMaxLength);
  // A string of at most `max_length` bytes, or nullopt when missing.
  std::optional<std::string> optional_string(const std::string& name,
                                             size_t max_length = kDefaultMaxLength);
  // A non-empty string or an integer (not a boolean), as text.
  std::string required_id(const std::string& name, size_t max_length);
  // An integer >= 0, or nullopt when missing.
  std::optional<int64_t> optional_non_negative_integer(const std::string& name);
  // The field as compact one-line JSON text ("null" when missing), the keys
  // of its objects in the order they were sent.
  std::string json_text(const std::string& name) const;

  // Records a failure found by the endpoint's own checks (the first one wins).
  void fail(ApiError error);
  bool failed() const { return error_.has_value(); }
  const std::optional<ApiError>& error() const { return error_; }

 private:
  bool present(const std::string& name) const;

  const JsonBody& body_;
  const Poco::JSON::Object& fields_;  // body_.object()
  std::optional<ApiError> error_;
};

}  // namespace sse
