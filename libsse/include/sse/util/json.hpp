#pragma once

// Small JSON helpers for hot paths where building a Poco::JSON object would
// cost more than the event itself.

#include <string>
#include <string_view>

namespace sse {

// `text` as a JSON string literal, quotes included. Control characters are
// escaped; bytes >= 0x80 pass through (callers hand in valid UTF-8).
std::string json_quote(std::string_view text);
void append_json_quoted(std::string& out, std::string_view text);

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace sse
