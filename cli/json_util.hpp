#pragma once

// Poco::JSON helpers for the commands: parse into a Result instead of an
// exception, and print compactly.

#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include "sse/util/result.hpp"

namespace sse::cli {

// Any JSON value (RFC 8259: "42", "\"text\"", "null", arrays, objects; a
// JSON null is an empty Var), or invalid_argument with the parser's complaint
// about `text` as given. Excess text after the value is an error.
Result<Poco::Dynamic::Var> parse_json(const std::string& text);

// Parses an object (never null); invalid_argument for anything else.
Result<Poco::JSON::Object::Ptr> parse_json_object(const std::string& text);

// Compact JSON text of a value.
std::string to_json(const Poco::Dynamic::Var& value);

// A field as a string ("" when absent or null); numbers are formatted.
std::string field_text(const Poco::JSON::Object::Ptr& object, const std::string& key);

}  // namespace sse::cli
