// sse-server: parse flags, load the config, run the server until SIGTERM or
// SIGINT, then shut down gracefully. Exit status (man sse-server): 0 after a
// clean shutdown, 64 bad flags, 78 bad configuration, 69 cannot listen,
// 70 an internal error.

#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "sse/config/config.hpp"
#include "sse/server/server.hpp"
#include "sse/util/exit_codes.hpp"
#include "sse/version.hpp"

extern char** environ;

namespace {

using sse::kExitConfig;
using sse::kExitSoftware;
using sse::kExitUnavailable;
using sse::kExitUsage;

int serve(const sse::Config& config);

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sse-server: a Server-Sent Events push server"};
  std::string config_path;
  sse::ConfigOverrides overrides;
  bool print_config = false;
  app.add_option("-c,--config", config_path,
                 "TOML configuration file (default: built-in defaults)");
  app.add_option("--host", overrides.host, "Address to listen on (overrides server.host)");
  app.add_option("-p,--port", overrides.port,
                 "Port to listen on, 0 for any free port (overrides server.port)")
      ->check(CLI::Range(0, 65535));
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as TOML and exit");
  app.set_version_flag("--version", std::string("sse-server ") + sse::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : kExitUsage;
  }

  auto config = sse::load_config(config_path.empty() ? std::nullopt : std::optional(config_path),
                                 sse::environment_map(environ), overrides);
  if (!config) {
    std::fprintf(stderr, "sse-server: %s\n", config.message().c_str());
    return kExitConfig;
  }
  if (print_config) {
    std::cout << sse::to_toml(*config);
    return 0;
  }

  try {
    return serve(*config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sse-server: internal error: %s\n", e.what());
    return kExitSoftware;
  }
}

namespace {

int serve(const sse::Config& config) {
  // A client that vanishes mid-write must cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Signals are taken by sigwait below, so every thread must block them; the
  // server's threads inherit this mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sse::Logger logger(sse::parse_log_level(config.log.level), config.log.format == "json");
  auto server = sse::Server::create(config, logger);
  if (!server) {
    std::fprintf(stderr, "sse-server: %s\n", server.message().c_str());
    if (server.error().is_unavailable()) return kExitUnavailable;
    if (server.error().is_internal()) return kExitSoftware;
    return kExitConfig;  // a bad setting, key file or database file
  }
  if (auto started = (*server)->start(); !started) {
    std::fprintf(stderr, "sse-server: %s\n", started.message().c_str());
    return kExitUnavailable;
  }
  std::printf("sse-server listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  logger.info(fmt::format("{}: shutting down", received == SIGTERM ? "SIGTERM" : "SIGINT"));
  (*server)->shutdown(std::chrono::milliseconds(1500));
  logger.info("stopped");
  return 0;
}

}  // namespace
