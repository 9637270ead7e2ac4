#pragma once

// Durations as written in sse-server.toml and SSE_* environment variables.

#include <chrono>
#include <string>
#include <string_view>

#include "sse/util/result.hpp"

namespace sse {

// Parses "250ms", "30s", "5m", "24h", or a bare non-negative integer of
// seconds ("0" is zero). Exactly that: no sign, no spaces, no fractions, one
// unit. A negative, malformed or overflowing text is an error whose message
// quotes the text.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact form with a unit: "250ms", "30s", "5m", "24h"; zero is
// "0s". parse_duration(format_duration(d)) == d for every d >= 0. A negative
// d is written with a leading '-', which parse_duration rejects.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace sse
