#include "sse/cli/ssectl.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "command_words.hpp"
#include "commands.hpp"
#include "sse/version.hpp"

namespace sse::cli {
namespace {

extern "C" void on_interrupt(int) {
  // Output is flushed per line, so nothing is lost by leaving at once.
  _exit(kExitInterrupted);
}

void add_global_options(CLI::App& app, GlobalFlags& flags) {
  const char* group = "Global options";
  app.add_option("--server", flags.server,
                 "sse-server URL (env SSECTL_SERVER; default http://127.0.0.1:3000)")
      ->group(group)
      ->type_name("URL");
  app.add_option("--token", flags.token,
                 "bearer token, or - to read it from stdin (env SSECTL_TOKEN)")
      ->group(group)
      ->type_name("TOKEN");
  app.add_option("--token-file", flags.token_file,
                 "read the token from FILE (env SSECTL_TOKEN_FILE)")
      ->group(group)
      ->type_name("FILE");
  app.add_option("-o,--output", flags.output,
                 "output format: text, json or raw (env SSECTL_OUTPUT)")
      ->group(group)
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json", "raw"}));
  app.add_option("--timeout", flags.timeout,
                 "request timeout, or how long tail waits (env SSECTL_TIMEOUT), e.g. 10s")
      ->group(group)
      ->type_name("DUR");
  app.add_option("--config", flags.config,
                 "read settings from FILE instead of ~/.config/ssectl/config.toml (env "
                 "SSECTL_CONFIG)")
      ->group(group)
      ->type_name("FILE");
  app.add_flag("-q,--quiet", flags.quiet, "no notices or warnings on stderr")->group(group);
  app.add_flag("-v,--verbose", flags.verbose, "trace requests on stderr")->group(group);
  app.add_option("--color", flags.color,
                 "colour: auto, always or never (env SSECTL_COLOR, NO_COLOR)")
      ->group(group)
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.set_version_flag("--version", std::string("ssectl ") + sse::kVersion,
                       "print the version and exit");
}

void note_given(const CLI::App& app, GlobalFlags& flags) {
  flags.server_given = app.count("--server") > 0;
  flags.token_given = app.count("--token") > 0;
  flags.token_file_given = app.count("--token-file") > 0;
  flags.output_given = app.count("--output") > 0;
  flags.timeout_given = app.count("--timeout") > 0;
  flags.color_given = app.count("--color") > 0;
  flags.config_given = app.count("--config") > 0;
}

}  // namespace

void build_app(CLI::App& app, Context& ctx) {
  // Global options also work after the command (kubectl style): subcommands
  // made after this inherit fallthrough and pass unknown options up.
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 ok, 64 usage, 65 bad input, 69 unreachable, 74 stdout closed, 75 timed "
      "out, 76 protocol, 77 auth refused, 78 bad config, 79 busy (429/503), 80 wait's COMMAND "
      "failed, 1 other, 130 interrupted. See man ssectl.");
  add_global_options(app, ctx.flags);
  add_send_commands(app, ctx);
  add_tail_command(app, ctx);
  add_wait_command(app, ctx);
  add_token_commands(app, ctx);
  add_connections_commands(app, ctx);
  add_status_command(app, ctx);
  add_completion_command(app, ctx);
  add_help_command(app, ctx);

  auto* options = app.add_subcommand("__options", "list every command and option");
  options->group("");  // hidden
  options->callback([&ctx, &app] {
    ctx.action = [&app] {
      std::fputs(describe_options(app).c_str(), stdout);
      return 0;
    };
  });
}

int run_ssectl(int argc, char** argv) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ssectl: send, watch and manage events on an sse-server", "ssectl"};
  Context ctx;
  ctx.env = process_environment();
  try {
    build_app(app, ctx);
    // CLI11 2.1 loses what follows "--" in a subcommand whose positionals are
    // optional, so `ssectl wait … -- COMMAND …` is split here.
    std::vector<std::string> args(argv + 1, argv + argc);
    if (first_command(app, args) == "wait") {
      const auto mark = std::find(args.begin(), args.end(), "--");
      if (mark != args.end()) {
        ctx.trailing.assign(mark + 1, args.end());
        args.erase(mark, args.end());
      }
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help or --version: print them
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (auto unknown = find_unknown_command(app, args)) {
      std::fprintf(stderr, "ssectl: %s\n", describe(*unknown).c_str());
    } else {
      std::fprintf(stderr, "ssectl: %s; see ssectl --help\n", e.what());
    }
    return kExitUsage;
  } catch (const Failure& failure) {
    std::fprintf(stderr, "ssectl: %s\n", failure.message.c_str());
    return failure.code;
  }
  try {
    note_given(app, ctx.flags);
    ctx.resolve();
    if (!ctx.action) fail(kExitUsage, "no command given; see ssectl --help");
    return ctx.action();
  } catch (const Failure& failure) {
    std::fprintf(stderr, "ssectl: %s\n", failure.message.c_str());
    return failure.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ssectl: internal error: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace sse::cli
