#include "sse/util/time_format.hpp"

#include <ctime>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>
#include <fmt/format.h>

namespace sse {

std::string format_iso8601_ms(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  int millis = static_cast<int>(unix_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::optional<int64_t> parse_iso8601_ms(std::string_view text) {
  // Poco accepts a fraction with %F and a zone with %z.
  const std::string input(text);
  for (const std::string& format : {Poco::DateTimeFormat::ISO8601_FRAC_FORMAT,
                             Poco::DateTimeFormat::ISO8601_FORMAT}) {
    int tzd = 0;
    Poco::DateTime parsed;
    if (Poco::DateTimeParser::tryParse(format, input, parsed, tzd)) {
      parsed.makeUTC(tzd);
      return parsed.timestamp().epochMicroseconds() / 1000;
    }
  }
  return std::nullopt;
}

}  // namespace sse
