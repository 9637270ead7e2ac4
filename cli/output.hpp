#pragma once

// Where ssectl writes: results to stdout (one line each, flushed so a pipe
// sees them at once), notices, warnings and traces to stderr. Colour only
// when asked, or on a terminal that is not TERM=dumb, without NO_COLOR.
// A write to stdout that fails (its reader is gone: EPIPE) ends the command
// with kExitOutputClosed: what was asked for cannot be delivered.

#include <string>
#include <string_view>

#include "settings.hpp"

namespace sse::cli {

namespace ansi {
inline constexpr const char* kBold = "1";
inline constexpr const char* kDim = "2";
inline constexpr const char* kRed = "31";
inline constexpr const char* kGreen = "32";
inline constexpr const char* kYellow = "33";
inline constexpr const char* kBlue = "34";
inline constexpr const char* kMagenta = "35";
inline constexpr const char* kCyan = "36";
}  // namespace ansi

class Output {
 public:
  Output() = default;
  // `stdout_is_tty`, `no_color` (NO_COLOR set and non-empty) and
  // `dumb_terminal` (TERM=dumb) decide kAuto.
  Output(const Settings& settings, bool stdout_is_tty, bool no_color, bool dumb_terminal);

  OutputFormat format() const { return format_; }
  bool color() const { return color_; }

  // stdout: `text` and a newline, flushed. Throws Failure (kExitOutputClosed)
  // when stdout cannot be written.
  void print(std::string_view text) const;
  // stdout: exactly `bytes`, flushed (raw output); throws as print() does.
  void write(std::string_view bytes) const;
  // True once stdout is a pipe or socket whose reader has gone (poll reports
  // POLLERR or POLLHUP): a waiting command notices before it has anything to write.
  static bool stdout_closed();
  // stderr "ssectl: …" lines; notices and warnings are silenced by -q.
  void notice(std::string_view text) const;
  void warn(std::string_view text) const;
  void trace(std::string_view text) const;  // only with -v
  void error(std::string_view text) const;  // always

  // `text` wrapped in an SGR colour when colour is on.
  std::string paint(std::string_view text, const char* sgr) const;

 private:
  OutputFormat format_ = OutputFormat::kText;
  bool color_ = false;
  bool quiet_ = false;
  bool verbose_ = false;
};

}  // namespace sse::cli
