#pragma once

// Command words the user mistyped, and `ssectl help [COMMAND...]`. CLI11
// 2.1 answers `ssectl sned` with "A subcommand is required"; this walks the
// arguments through the command tree as CLI11 does and names the word that
// is no command, with the nearest one that is.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace sse::cli {

// The nearest of `candidates` to `word`: an edit distance of at most 2 (1
// for words of up to 4 letters), or a candidate that starts with `word`; ""
// when none is near.
std::string nearest_word(std::string_view word, const std::vector<std::string>& candidates);

struct UnknownCommand {
  std::string word;        // "sned"
  std::string path;        // "ssectl send", the command it followed
  std::string suggestion;  // "send", or "" when nothing is near
  std::vector<std::string> known;
};

// The first argument, at a level whose command takes subcommands and no
// positional arguments, that names none of its subcommands. Options and
// their values are skipped (an option of the command or of a parent); "--"
// ends the walk. nullopt when every command word is known.
std::optional<UnknownCommand> find_unknown_command(const CLI::App& app,
                                                   const std::vector<std::string>& args);

// The first argument that names one of the app's commands ("" when none
// does), skipping global options and their values.
std::string first_command(const CLI::App& app, const std::vector<std::string>& args);

// "unknown command 'sned'; did you mean 'send'?" (or the list of commands).
std::string describe(const UnknownCommand& unknown);

// `ssectl help [COMMAND...]`: prints the help of the app or of the command
// the words name; an unknown word fails with kExitUsage.
void add_help_command(CLI::App& app, class Context& ctx);

}  // namespace sse::cli
