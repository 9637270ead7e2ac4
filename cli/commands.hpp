#pragma once

// Each command group adds its subcommands to the app; a leaf's CLI11 callback
// sets ctx.action, which run_ssectl calls once flags are resolved.

#include <CLI/CLI.hpp>

#include "context.hpp"

namespace sse::cli {

void add_send_commands(CLI::App& app, Context& ctx);         // send.cpp
void add_tail_command(CLI::App& app, Context& ctx);          // tail.cpp
void add_wait_command(CLI::App& app, Context& ctx);          // wait.cpp
void add_token_commands(CLI::App& app, Context& ctx);        // token.cpp
void add_connections_commands(CLI::App& app, Context& ctx);  // connections.cpp
void add_status_command(CLI::App& app, Context& ctx);        // status.cpp
void add_completion_command(CLI::App& app, Context& ctx);    // completion.cpp

// Builds the whole command tree (for run_ssectl and the option walk).
void build_app(CLI::App& app, Context& ctx);

// Lines "<command path>\t<option or subcommand>" for every visible option
// and subcommand, walking the app (the completion coverage test reads it
// through the hidden `ssectl __options`).
std::string describe_options(const CLI::App& app);

}  // namespace sse::cli
