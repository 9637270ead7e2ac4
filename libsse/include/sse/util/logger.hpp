#pragma once

// Log lines to stderr, as text or one JSON object per line. Thread-safe.
// Callers never pass tokens: URLs go through redact_query() first.
//
// Messages, keys and values may hold anything a client sent (a request
// target with CR LF or ESC in it): each line stays one line that a terminal
// shows as text. In text lines a control byte (< 0x20), DEL, a C1 control
// (U+0080..U+009F) and a byte that is not part of well-formed UTF-8 are
// written as \xNN and a backslash as \\; values are not quoted. JSON lines
// escape as JSON does (C1 controls as \u0080..), and write a byte that is not
// UTF-8 as the text \xNN, so every line is valid UTF-8 and valid JSON.

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
// "trace" | "debug" | "info" | "warn" | "error"; info for anything else.
LogLevel parse_log_level(std::string_view name);

class Logger {
 public:
  using Fields = std::vector<std::pair<std::string_view, std::string>>;

  Logger(LogLevel level, bool json) : level_(level), json_(json) {}
  bool enabled(LogLevel level) const { return level >= level_; }
  void log(LogLevel level, std::string_view message, const Fields& fields = {});
  void info(std::string_view message, const Fields& fields = {}) {
    log(LogLevel::kInfo, message, fields);
  }
  void warn(std::string_view message, const Fields& fields = {}) {
    log(LogLevel::kWarn, message, fields);
  }
  void error(std::string_view message, const Fields& fields = {}) {
    log(LogLevel::kError, message, fields);
  }

 private:
  const LogLevel level_;
  const bool json_;
  std::mutex mu_;
};

// The URI with the values of secret query parameters ("token", "access_token",
// also when percent-encoded as the server would decode them, e.g. "%74oken")
// replaced by "REDACTED". Everything else is kept byte for byte.
std::string redact_query(std::string_view uri);

}  // namespace sse
