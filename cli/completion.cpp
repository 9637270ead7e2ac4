// ssectl completion bash|zsh|fish: prints the scripts in completions/,
// embedded at build time so the installed binary needs no source tree.

#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "sse/cli/completion_scripts.hpp"

namespace sse::cli {
namespace {

void describe(const CLI::App& app, const std::string& path, std::string& out) {
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_group().empty()) continue;
    for (const auto& name : option->get_lnames()) out += fmt::format("{}\t--{}\n", path, name);
    for (const auto& name : option->get_snames()) out += fmt::format("{}\t-{}\n", path, name);
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden
    out += fmt::format("{}\t{}\n", path, sub->get_name());
    describe(*sub, path + " " + sub->get_name(), out);
  }
}

}  // namespace

std::string describe_options(const CLI::App& app) {
  std::string out;
  describe(app, app.get_name(), out);
  return out;
}

void add_completion_command(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->footer(
      "bash: source <(ssectl completion bash)\n"
      "zsh:  ssectl completion zsh > ~/.zfunc/_ssectl  (with fpath+=~/.zfunc)\n"
      "fish: ssectl completion fish > ~/.config/fish/completions/ssectl.fish");
  completion->callback([&ctx, shell] {
    ctx.action = [&ctx, shell] {
      const char* script = *shell == "bash"  ? completion_scripts::kBash
                           : *shell == "zsh" ? completion_scripts::kZsh
                                             : completion_scripts::kFish;
      ctx.out().write(script);
      return kExitOk;
    };
  });
}

}  // namespace sse::cli
