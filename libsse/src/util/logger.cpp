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
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError}) {
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
    for (const auto& [key, value] : fields) fmt::format_to(std::back_inserter(line), " {}={}", key, value);
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
  std::string_view query = uri.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    const std::string_view name = pair.substr(0, pair.find('='));
    if (name == "token" || name == "access_token") {
      out += name;
      out += "=REDACTED";
    } else {
      out += pair;
    }
  }
  return out;
}

}  // namespace sse
