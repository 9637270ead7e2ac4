#pragma once

// ASCII text as protocols see it: case folding that ignores the process
// locale (HTTP field names, media types, the Bearer scheme), and a hash that
// lets an unordered_map<std::string, ...> be searched with a string_view
// without building a std::string.

#include <cstddef>
#include <functional>
#include <string_view>

namespace sse {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

// Equal but for the case of ASCII letters.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // as it is nearly always spelled
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// With std::equal_to<>: heterogeneous lookup by string_view.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace sse
