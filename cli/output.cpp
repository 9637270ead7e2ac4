#include "output.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "exit_codes.hpp"

namespace sse::cli {

namespace {

// Ends the command when stdout took the bytes badly (EPIPE once its reader exits).
void check_stdout() {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return;
  const int error = errno;
  std::clearerr(stdout);
  if (error == EPIPE) fail(kExitOutputClosed, "stdout was closed (its reader has gone); stopped");
  fail(kExitOutputClosed, fmt::format("cannot write to stdout ({}); stopped",
                                      error != 0 ? std::strerror(error) : "write error"));
}

}  // namespace

Output::Output(const Settings& settings, bool stdout_is_tty, bool no_color, bool dumb_terminal)
    : format_(settings.output), quiet_(settings.quiet), verbose_(settings.verbose) {
  switch (settings.color) {
    case ColorMode::kAlways:
      color_ = true;
      break;
    case ColorMode::kNever:
      color_ = false;
      break;
    case ColorMode::kAuto:
      color_ = stdout_is_tty && !no_color && !dumb_terminal;  // https://no-color.org
      break;
  }
}

void Output::print(std::string_view text) const {
  errno = 0;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  check_stdout();
}

void Output::write(std::string_view bytes) const {
  errno = 0;
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  check_stdout();
}

bool Output::stdout_closed() {
  pollfd probe{STDOUT_FILENO, 0, 0};
  return ::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLERR | POLLHUP)) != 0;
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
