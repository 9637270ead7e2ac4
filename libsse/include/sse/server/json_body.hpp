#pragma once

// Reading a POST body: content type, size bound, UTF-8, JSON object; and the
// typed field getters the endpoints use. Every failure is an ApiError that
// names the field or the limit.

#include <chrono>
#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

#include "sse/server/exchange.hpp"

namespace sse {

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

// A string field. Missing: an error when `required`, else nullopt. Present but
// not a string (or empty when required): an error naming the field.
Result<std::optional<std::string>, ApiError> string_field(const Poco::JSON::Object& body,
                                                          const std::string& name, bool required,
                                                          size_t max_length = 10000);

// The field as compact one-line JSON text ("null" when missing).
std::string json_field_text(const Poco::JSON::Object& body, const std::string& name);

}  // namespace sse
