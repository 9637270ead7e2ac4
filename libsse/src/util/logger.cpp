#include "sse/util/logger.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "sse/util/clock.hpp"
#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Compares the name as the server reads it (Poco::URI::getQueryParameters:
// '+' is a space, %XX a byte), or "?%74oken=..." would authenticate unredacted.
bool is_secret_parameter(std::string_view raw_name) {
  std::string name;
  name.reserve(raw_name.size());
  for (size_t i = 0; i < raw_name.size(); ++i) {
    const char c = raw_name[i];
    if (c == '+') {
      name += ' ';
    } else if (c == '%' && i + 2 < raw_name.size() && hex_value(raw_name[i + 1]) >= 0 &&
               hex_value(raw_name[i + 2]) >= 0) {
      name += static_cast<char>(hex_value(raw_name[i + 1]) * 16 + hex_value(raw_name[i + 2]));
      i += 2;
    } else {
      name += c;
    }
  }
  return name == "token" || name == "access_token";
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
  for (LogLevel level :
       {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (level_name(level) == name) return level;
  }
  return LogLevel::kInfo;
}

void Logger::log(LogLevel level, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  const std::string time = format_iso8601_ms(SystemClock::instance().now_ms());
  std::string line;
  if (json_) {
    line = fmt::format(R"({{"time":"{}","level":"{}","msg":{})", time, level_name(level),
                       json_quote(message));
    for (const auto& [key, value] : fields) {
      line += ',';
      append_json_quoted(line, key);
      line += ':';
      append_json_quoted(line, value);
    }
    line += "}\n";
  } else {
    line = fmt::format("{} {:5} {}", time, level_name(level), message);
    for (const auto& [key, value] : fields)
      fmt::format_to(std::back_inserter(line), " {}={}", key, value);
    line += '\n';
  }
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string redact_query(std::string_view uri) {
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, q + 1));
  const std::string_view query = uri.substr(q + 1);
  for (size_t start = 0;;) {
    const size_t amp = query.find('&', start);
    const std::string_view pair = query.substr(start, amp - start);
    const std::string_view name = pair.substr(0, pair.find('='));
    if (is_secret_parameter(name)) {
      out += name;
      out += "=REDACTED";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    start = amp + 1;
  }
  return out;
}

}  // namespace sse
