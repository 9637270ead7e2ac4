// sse-bench: a load generator for any Server-Sent Events deployment. Parses
// flags, runs sse::bench::run_bench and prints the report; the exit status is
// in man sse-bench (0 done, 1 --strict found losses, 64 bad arguments, 69
// nothing reachable, 130 interrupted).

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "sse-bench/bench.hpp"
#include "sse-bench/options.hpp"
#include "sse/util/exit_codes.hpp"
#include "sse/version.hpp"

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

void install_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
  sigaction(SIGINT, &action, nullptr);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "sse-bench: %s\nRun with --help for more information.\n", message.c_str());
  return sse::kExitUsage;
}

bool want_progress(sse::bench::ProgressMode mode) {
  if (mode == sse::bench::ProgressMode::kAuto) return isatty(STDERR_FILENO) == 1;
  return mode == sse::bench::ProgressMode::kAlways;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sse-bench: a load generator for Server-Sent Events servers", "sse-bench"};
  sse::bench::Options options;
  sse::bench::add_options(app, options);
  app.set_version_flag("--version", std::string("sse-bench ") + sse::kVersion,
                       "print the version and exit");
  app.footer(
      "Placeholders: {i} subscriber number, {ch} channel, {seq} publish number, {stamp} the\n"
      "delivery stamp, {b64:TEXT} base64 of TEXT. Exit status: 0 done, 1 --strict found\n"
      "losses, 64 bad arguments, 69 nothing reachable, 130 interrupted. See man sse-bench.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return usage_error(e.what());
  }
  auto settings = sse::bench::make_settings(options, app.count("--duration") > 0);
  if (!settings) return usage_error(settings.message());
  if (auto limit = sse::bench::raise_descriptor_limit(sse::bench::descriptors_needed(*settings));
      !limit) {
    return usage_error(limit.message());
  }

  install_signals();
  sse::bench::RunHooks hooks;
  hooks.interrupted = &g_interrupted;
  hooks.progress = want_progress(settings->progress) ? stderr : nullptr;
  auto report = sse::bench::run_bench(*settings, hooks);
  if (!report) {
    if (report.error().is_invalid_argument()) return usage_error(report.message());
    std::fprintf(stderr, "sse-bench: %s\n", report.message().c_str());
    return sse::kExitUnavailable;
  }
  const std::string text =
      settings->json ? sse::bench::report_json(*report) : sse::bench::report_text(*report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  if (report->established == 0) {
    std::fprintf(stderr, "sse-bench: no subscriber could be established%s%s\n",
                 report->first_connect_error.empty() ? "" : ": ",
                 report->first_connect_error.c_str());
  } else if (settings->publish && report->publish_unreachable && !report->interrupted) {
    std::fprintf(stderr, "sse-bench: no publish connection could be made\n");
  }
  return sse::bench::exit_code_for(*settings, *report);
}
