#include "output.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace sse::cli {

Output::Output(const Settings& settings, bool stdout_is_tty, bool no_color)
    : format_(settings.output), quiet_(settings.quiet), verbose_(settings.verbose) {
  switch (settings.color) {
    case ColorMode::kAlways:
      color_ = true;
      break;
    case ColorMode::kNever:
      color_ = false;
      break;
    case ColorMode::kAuto:
      color_ = stdout_is_tty && !no_color;  // https://no-color.org
      break;
  }
}

void Output::print(std::string_view text) const {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Output::write(std::string_view bytes) const {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

void Output::notice(std::string_view text) const {
  if (!quiet_) std::fprintf(stderr, "ssectl: %.*s\n", static_cast<int>(text.size()), text.data());
}

void Output::warn(std::string_view text) const {
  if (!quiet_) {
    std::fprintf(stderr, "ssectl: warning: %.*s\n", static_cast<int>(text.size()), text.data());
  }
}

void Output::trace(std::string_view text) const {
  if (verbose_) std::fprintf(stderr, "ssectl: %.*s\n", static_cast<int>(text.size()), text.data());
}

void Output::error(std::string_view text) const {
  std::fprintf(stderr, "ssectl: %.*s\n", static_cast<int>(text.size()), text.data());
}

std::string Output::paint(std::string_view text, const char* sgr) const {
  if (!color_) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

}  // namespace sse::cli
