#pragma once

// Poco::JSON helpers for the commands: parse with a message instead of an
// exception, and print compactly.

#include <optional>
#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

namespace sse::cli {

// The parsed value, or nullopt with `error` set to the parser's complaint.
std::optional<Poco::Dynamic::Var> parse_json(const std::string& text, std::string* error);

// Parses an object; nullopt (with `error`) for anything else.
Poco::JSON::Object::Ptr parse_json_object(const std::string& text, std::string* error);

// Compact JSON text of a value.
std::string to_json(const Poco::Dynamic::Var& value);

// A field as a string ("" when absent or null); numbers are formatted.
std::string field_text(const Poco::JSON::Object::Ptr& object, const std::string& key);

}  // namespace sse::cli
