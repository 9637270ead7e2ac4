#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse {

// ISO-8601 UTC with milliseconds: "2026-11-27T00:01:36.123Z".
std::string format_iso8601_ms(int64_t unix_ms);
// The same, appended to `out`.
void append_iso8601_ms(std::string& out, int64_t unix_ms);

// Parses an RFC 3339 (ISO-8601) date-time: "2026-11-27T10:00:00Z", an
// optional fraction (digits past milliseconds are dropped, never rounded up),
// "Z" or a "+hh:mm"/"-hh:mm" offset. Returns nullopt on anything else: a date
// without a time, no offset, an impossible date, a leap second, trailing text.
std::optional<int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace sse
