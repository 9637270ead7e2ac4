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

// A C1 control (U+0080..U+009F, UTF-8 C2 80..C2 9F) at text[i]: some
// terminals obey them as escapes (U+009B as CSI), like ESC itself.
bool is_c1_control(std::string_view text, size_t i) {
  return i + 1 < text.size() && static_cast<unsigned char>(text[i]) == 0xC2 &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) < 0xA0;
}

// The length of the well-formed UTF-8 sequence (RFC 3629 4) of two to four
// bytes at text[i] (a byte >= 0x80), or 0 when there is none there or it is a
// C1 control.
size_t printable_sequence(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                        : lead >= 0xE0 && lead <= 0xEF ? 3
                        : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                       : 0;
  if (length == 0 || i + length > text.size() || is_c1_control(text, i)) return 0;
  return is_valid_utf8(text.substr(i, length)) ? length : 0;
}

// A text-format message or value, on one line whatever a client sent: a
// control byte (CR, LF, ESC, NUL, ...), DEL, a C1 control and a byte that is
// not part of well-formed UTF-8 become \xNN, and a backslash \\, so the line
// reads back unambiguously.
void append_text_escaped(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = 1;
    if (byte >= 0x80) {
      length = printable_sequence(text, i);
      if (length > 0) {
        out.append(text.substr(i, length));
      } else {
        fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
        length = 1;
      }
    } else if (byte < 0x20 || byte == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
    } else if (byte == '\\') {
      out += "\\\\";
    } else {
      out += static_cast<char>(byte);
    }
    i += length;
  }
}

// A JSON-format message or value as a JSON string: append_json_quoted (which
// escapes '"', '\\', control bytes and DEL), and also C1 controls as
// \u0080..\u009F, and a byte that is not part of well-formed UTF-8 (which a
// JSON string cannot hold) as the text \xNN, so the line stays valid JSON.
void append_json_escaped(std::string& out, std::string_view text) {
  out += '"';
  size_t pending = 0;  // text[pending, i) is left to json_quote
  const auto flush = [&](size_t end) {
    if (end == pending) return;
    const std::string quoted = json_quote(text.substr(pending, end - pending));
    out.append(quoted, 1, quoted.size() - 2);
  };
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (const size_t length = printable_sequence(text, i)) {
      i += length;
    } else {
      flush(i);
      if (is_c1_control(text, i)) {
        fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                       static_cast<unsigned char>(text[i + 1]));
        i += 2;
      } else {
        fmt::format_to(std::back_inserter(out), "\\\\x{:02X}", static_cast<unsigned char>(text[i]));
        i += 1;
      }
      pending = i;
    }
  }
  flush(text.size());
  out += '"';
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
  // {"time":…,"level":…,"msg":…,"key":…} or "TIME LEVEL message key=value".
  std::string line =
      json_ ? fmt::format(R"({{"time":"{}","level":"{}","msg":)", time, level_name(level))
            : fmt::format("{} {:5} ", time, level_name(level));
  const auto append = json_ ? append_json_escaped : append_text_escaped;
  append(line, message);
  for (const auto& [key, value] : fields) {
    line += json_ ? ',' : ' ';
    append(line, key);
    line += json_ ? ':' : '=';
    append(line, value);
  }
  line += json_ ? "}\n" : "\n";
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
