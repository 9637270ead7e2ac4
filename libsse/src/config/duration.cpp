#include "sse/config/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace sse {
namespace {

constexpr std::string_view kExpected = "expected e.g. 250ms, 30s, 5m, 24h or a number of seconds";

// Milliseconds per unit; 0 for an unknown unit. No unit means seconds.
int64_t unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s" || unit.empty()) return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return 0;
}

// "1.5h" -> "90m", "0.25s" -> "250ms": the same length in whole units, for
// the message that refuses the fraction. "" when the text is not a fraction
// of a known unit, or is finer than a millisecond.
std::string whole_units_for(std::string_view text) {
  size_t at = 0;
  int64_t whole = 0, fraction = 0, scale = 1;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9' && whole < 1'000'000'000) {
    whole = whole * 10 + (text[at++] - '0');
  }
  if (at == text.size() || text[at] != '.') return "";
  ++at;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9' && scale < 1'000'000'000) {
    fraction = fraction * 10 + (text[at++] - '0');
    scale *= 10;
  }
  const int64_t per_unit = unit_ms(text.substr(at));
  if (per_unit == 0 || scale == 1 || (fraction * per_unit) % scale != 0) return "";
  return format_duration(std::chrono::milliseconds(whole * per_unit + fraction * per_unit / scale));
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto invalid = [text](std::string_view why) {
    return Error::invalid_argument(fmt::format("invalid duration \"{}\": {}", text, why));
  };
  if (text.empty()) return invalid(fmt::format("empty; {}", kExpected));
  if (text.front() == '-') return invalid("must not be negative");

  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return invalid(fmt::format("missing number; {}", kExpected));

  const std::string_view unit = text.substr(digits);
  if (!unit.empty() && unit.front() == '.') {
    const std::string whole = whole_units_for(text);
    if (whole.empty()) return invalid("fractions are not supported; use a smaller unit");
    return invalid(fmt::format("fractions are not supported; write {}", whole));
  }
  const int64_t per_unit = unit_ms(unit);
  if (per_unit == 0) {
    return invalid(fmt::format("unknown unit \"{}\" (use ms, s, m or h)", unit));
  }

  int64_t count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, count);
  if (ec != std::errc() || end != text.data() + digits ||
      count > std::numeric_limits<int64_t>::max() / per_unit) {
    return invalid("too large");
  }
  return std::chrono::milliseconds(count * per_unit);
}

std::string format_duration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms == std::numeric_limits<int64_t>::min()) return fmt::format("{}ms", ms);  // no -ms
  if (ms < 0) return "-" + format_duration(-d);
  if (ms == 0) return "0s";
  for (const auto& [unit, per_unit] :
       {std::pair<const char*, int64_t>{"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}}) {
    if (ms % per_unit == 0) return fmt::format("{}{}", ms / per_unit, unit);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace sse
