#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse {

// The whole of `text` as a decimal uint64 (no sign, no spaces, no suffix);
// nullopt for anything else, overflow included.
inline std::optional<uint64_t> parse_uint64(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Appends `value` in decimal: parse_uint64's inverse, for hot paths that
// build text by appending (no format string, no temporary string).
inline void append_uint64(std::string& out, uint64_t value) {
  char digits[20];  // 2^64 - 1 has 20 digits
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace sse
