#include "command_words.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "context.hpp"

namespace sse::cli {
namespace {

// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`: the
// optimal string alignment distance, so "sned" is one edit from "send".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> visible_subcommands(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  }
  return names;
}

bool takes_positionals(const CLI::App& app) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_positional()) return true;
  }
  return false;
}

// The option `arg` names in `app` or a parent (fallthrough passes options up).
const CLI::Option* find_option(const CLI::App* app, const std::string& arg) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* option = app->get_option_no_throw(arg)) return option;
  }
  return nullptr;
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

std::string path_of(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* up = app->get_parent(); up != nullptr; up = up->get_parent()) {
    path = up->get_name() + " " + path;
  }
  return path;
}

}  // namespace

std::string nearest_word(std::string_view word, const std::vector<std::string>& candidates) {
  const size_t allowed = word.size() <= 4 ? 1 : 2;
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best.empty() || word.empty()) return best;
  for (const std::string& candidate : candidates) {
    if (candidate.rfind(word, 0) == 0) return candidate;
  }
  return "";
}

std::optional<UnknownCommand> find_unknown_command(const CLI::App& app,
                                                   const std::vector<std::string>& args) {
  const CLI::App* level = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg.front() == '-') {
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* option = find_option(level, arg);
      if (option != nullptr && option->get_items_expected_max() > 0) ++i;  // its value
      continue;
    }
    if (const CLI::App* sub = find_subcommand(*level, arg)) {
      level = sub;
      continue;
    }
    const std::vector<std::string> known = visible_subcommands(*level);
    if (known.empty() || takes_positionals(*level)) return std::nullopt;
    return UnknownCommand{arg, path_of(level), nearest_word(arg, known), known};
  }
  return std::nullopt;
}

std::string first_command(const CLI::App& app, const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return "";
    if (arg.size() > 1 && arg.front() == '-') {
      const CLI::Option* option = app.get_option_no_throw(arg);
      if (arg.find('=') == std::string::npos && option != nullptr &&
          option->get_items_expected_max() > 0) {
        ++i;
      }
      continue;
    }
    const CLI::App* sub = find_subcommand(app, arg);
    return sub ? sub->get_name() : "";
  }
  return "";
}

std::string describe(const UnknownCommand& unknown) {
  if (!unknown.suggestion.empty()) {
    return fmt::format("unknown command '{}'; did you mean '{}'? (see {} --help)", unknown.word,
                       unknown.suggestion, unknown.path);
  }
  return fmt::format("unknown command '{}' for {}; the commands are: {}", unknown.word,
                     unknown.path, fmt::join(unknown.known, ", "));
}

void add_help_command(CLI::App& app, Context& ctx) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* help = app.add_subcommand("help", "print the help of ssectl or of a command");
  help->add_option("COMMAND", *words, "the command, e.g. send chat")->expected(0, -1);
  help->callback([&ctx, &app, words] {
    ctx.action = [&ctx, &app, words] {
      const CLI::App* level = &app;
      for (const std::string& word : *words) {
        const CLI::App* sub = find_subcommand(*level, word);
        if (sub == nullptr || sub->get_group().empty()) {
          const std::vector<std::string> known = visible_subcommands(*level);
          fail(kExitUsage,
               describe(UnknownCommand{word, path_of(level), nearest_word(word, known), known}));
        }
        level = sub;
      }
      // App::help() would show the help of the command parsed (`help` itself).
      ctx.out().write(
          level->get_formatter()->make_help(level, path_of(level), CLI::AppFormatMode::Normal));
      return kExitOk;
    };
  });
}

}  // namespace sse::cli
