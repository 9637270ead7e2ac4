#include "sse/util/time_format.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace sse {
namespace {

// Reads an RFC 3339 date-time left to right; every step fails on anything
// but what the grammar allows there.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  // Exactly `count` ASCII digits.
  bool digits(int count, int& out) {
    out = 0;
    for (int i = 0; i < count; ++i) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return false;
      out = out * 10 + (text_[pos_++] - '0');
    }
    return true;
  }
  bool take(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool take_either(char a, char b) { return take(a) || take(b); }
  // One or more digits; the first three are milliseconds, the rest are
  // dropped (truncation: a time is never moved later).
  bool fraction(int& millis) {
    millis = 0;
    int count = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (count < 3) millis = millis * 10 + (text_[pos_] - '0');
      ++count;
      ++pos_;
    }
    for (int i = count; i < 3; ++i) millis *= 10;
    return count > 0;
  }
  bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

void append_iso8601_ms(std::string& out, int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  int millis = static_cast<int>(unix_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  // "YYYY-MM-DDTHH:MM:SS." of the last second asked for, per thread: events
  // come many to a second.
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached_prefix;
  if (seconds != cached_second || cached_prefix.empty()) {
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    cached_prefix = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = seconds;
  }
  out.append(cached_prefix);
  out.push_back(static_cast<char>('0' + millis / 100));
  out.push_back(static_cast<char>('0' + millis / 10 % 10));
  out.push_back(static_cast<char>('0' + millis % 10));
  out.push_back('Z');
}

std::string format_iso8601_ms(int64_t unix_ms) {
  std::string out;
  out.reserve(24);
  append_iso8601_ms(out, unix_ms);
  return out;
}

std::optional<int64_t> parse_iso8601_ms(std::string_view text) {
  // RFC 3339 section 5.6: date-time = full-date "T" full-time, where
  // full-time = HH:MM:SS [.fraction] ("Z" / ("+" / "-") HH:MM); "t" and "z"
  // may be lower case. (Poco's DateTimeParser was tried here first: it reads
  // "garbage" as the year 0 and ignores trailing text.)
  Reader in(text);
  int year, month, day, hour, minute, second, millis = 0;
  if (!in.digits(4, year) || !in.take('-') || !in.digits(2, month) || !in.take('-') ||
      !in.digits(2, day) || !in.take_either('T', 't') || !in.digits(2, hour) || !in.take(':') ||
      !in.digits(2, minute) || !in.take(':') || !in.digits(2, second)) {
    return std::nullopt;
  }
  if (in.take('.') && !in.fraction(millis)) return std::nullopt;
  int offset_minutes = 0;
  if (!in.take_either('Z', 'z')) {
    const bool plus = in.take('+');
    if (!plus && !in.take('-')) return std::nullopt;
    int offset_hour, offset_minute;
    if (!in.digits(2, offset_hour) || !in.take(':') || !in.digits(2, offset_minute)) {
      return std::nullopt;
    }
    if (offset_hour > 23 || offset_minute > 59) return std::nullopt;
    offset_minutes = (plus ? 1 : -1) * (offset_hour * 60 + offset_minute);
  }
  if (!in.at_end()) return std::nullopt;

  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  // Leap seconds (:60) are refused: Unix time has no place for them.
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * 86'400 + hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace sse
