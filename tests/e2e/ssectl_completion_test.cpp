// Completion scripts and man page cover every ssectl command and option (the
// list comes from walking the CLI11 app, via the hidden `ssectl __options`);
// `ssectl completion` prints the scripts; `cmake --install` lays out the files.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::filesystem::path source_dir() { return SSE_SOURCE_DIR; }

// (command path, option or subcommand) pairs, e.g. ("ssectl send", "chat").
std::vector<std::pair<std::string, std::string>> walk_app() {
  auto result = e2e::ssectl({"__options"});
  REQUIRE(result.exit_code == 0);
  std::vector<std::pair<std::string, std::string>> entries;
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    entries.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return entries;
}

// The text of one "# command: PATH" block: up to the next "# command:" or "# end".
std::string block(const std::string& script, const std::string& path) {
  const std::string marker = "# command: " + path + "\n";
  const size_t start = script.find(marker);
  if (start == std::string::npos) return "";
  size_t end = script.size();
  for (const char* next : {"# command: ", "# end"}) {
    const size_t at = script.find(next, start + marker.size());
    if (at != std::string::npos) end = std::min(end, at);
  }
  return script.substr(start, end - start);
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// `word` appears in `text` not as part of a longer word ("-o" is not in "--output").
bool has_word(const std::string& text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !is_word_char(text[at - 1]);
    const bool right = at + word.size() >= text.size() || !is_word_char(text[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

// How a name is written in a fish `complete` line.
std::string fish_form(const std::string& name) {
  if (name.rfind("--", 0) == 0) return "-l " + name.substr(2);
  if (name.rfind("-", 0) == 0) return "-s " + name.substr(1);
  return name;
}

}  // namespace

TEST_CASE("completion scripts offer every command and option of the CLI11 app",
          "[ssectl][completion]") {
  const auto entries = walk_app();
  REQUIRE(entries.size() > 60);
  const std::map<std::string, std::string> scripts = {
      {"bash", read(source_dir() / "completions/ssectl.bash")},
      {"zsh", read(source_dir() / "completions/_ssectl")},
      {"fish", read(source_dir() / "completions/ssectl.fish")}};
  for (const auto& [shell, script] : scripts) {
    REQUIRE_FALSE(script.empty());
    for (const auto& [path, name] : entries) {
      // -h/--help exists on every command; the scripts offer it globally.
      if ((name == "-h" || name == "--help") && path != "ssectl") continue;
      const std::string text = block(script, path);
      const std::string wanted = shell == "fish" ? fish_form(name) : name;
      INFO(shell << ": '" << wanted << "' of '" << path << "'");
      CHECK_FALSE(text.empty());
      CHECK(has_word(text, wanted));
    }
  }
}

TEST_CASE("the ssectl man page documents every command and option", "[ssectl][completion]") {
  std::string man = read(source_dir() / "man/ssectl.1");
  REQUIRE_FALSE(man.empty());
  for (size_t at = man.find("\\-"); at != std::string::npos; at = man.find("\\-", at))
    man.replace(at, 2, "-");
  for (const char* section :
       {".SH SYNOPSIS", ".SH ENVIRONMENT", ".SH FILES", ".SH EXIT STATUS", ".SH EXAMPLES"}) {
    CHECK(man.find(section) != std::string::npos);
  }
  for (const auto& [path, name] : walk_app()) {
    INFO("'" << name << "' of '" << path << "'");
    CHECK(has_word(man, name));
  }
  for (const char* code : {"64", "65", "69", "75", "76", "77", "78", "130"}) {
    CHECK(man.find(std::string(".B ") + code + "\n") != std::string::npos);
  }
}

TEST_CASE("ssectl completion prints the installed scripts", "[ssectl][completion]") {
  CHECK(e2e::ssectl({"completion", "bash"}).out == read(source_dir() / "completions/ssectl.bash"));
  CHECK(e2e::ssectl({"completion", "zsh"}).out == read(source_dir() / "completions/_ssectl"));
  CHECK(e2e::ssectl({"completion", "fish"}).out == read(source_dir() / "completions/ssectl.fish"));
  CHECK(e2e::ssectl({"completion", "tcsh"}).exit_code == 64);
  auto syntax = e2e::run({"bash", "-n", (source_dir() / "completions/ssectl.bash").string()});
  CHECK(syntax.exit_code == 0);
}

TEST_CASE("the bash completion completes commands and options", "[ssectl][completion]") {
  const std::string script = (source_dir() / "completions/ssectl.bash").string();
  auto complete = [&](const std::string& line) {
    const std::string program =
        "source " + script + "\nCOMP_LINE='" + line +
        "'\nread -ra COMP_WORDS <<< \"$COMP_LINE\"\n" +
        "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n" +
        "_ssectl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    return e2e::run({"bash", "-c", program}).out;
  };
  CHECK(complete("ssectl ") == "send\ntail\nwait\ntoken\nconnections\nstatus\ncompletion\nhelp\n");
  CHECK(complete("ssectl send ch") == "chat\n");
  CHECK(complete("ssectl --server http://x tail ") == "notifications\nrealtime\nchat\nstatus\n");
  CHECK(complete("ssectl tail chat --la") == "--last-event-id\n");
  CHECK(complete("ssectl -o ") == "text\njson\nraw\n");
  CHECK(complete("ssectl send notification --st") == "--stdin-lines\n");
}

TEST_CASE("cmake --install puts files where Debian expects them", "[ssectl][install]") {
  const std::filesystem::path build =
      std::filesystem::path(e2e::ssectl_bin()).parent_path().parent_path();
  REQUIRE(std::filesystem::exists(build / "CMakeCache.txt"));
  e2e::TempDir prefix;
  auto installed =
      e2e::run({"cmake", "--install", build.string(), "--prefix", prefix.path().string()}, "", {},
               std::chrono::seconds(120));
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  for (const char* file :
       {"bin/ssectl", "bin/sse-server", "share/bash-completion/completions/ssectl",
        "share/zsh/vendor-completions/_ssectl", "share/fish/vendor_completions.d/ssectl.fish",
        "share/man/man1/ssectl.1", "share/man/man1/sse-server.1",
        "share/man/man5/sse-server.toml.5", "etc/sse-server/sse-server.toml",
        "lib/systemd/system/sse-server.service"}) {
    INFO(file);
    CHECK(std::filesystem::exists(prefix.path() / file));
  }
  const std::string unit = read(prefix.path() / "lib/systemd/system/sse-server.service");
  CHECK(unit.find("ExecStart=/") != std::string::npos);
  CHECK(unit.find("@") == std::string::npos);
  CHECK(unit.find("/sse-server --config /") != std::string::npos);
  // The installed binary carries its completion scripts.
  auto printed = e2e::run({(prefix.path() / "bin/ssectl").string(), "completion", "fish"});
  CHECK(printed.out == read(prefix.path() / "share/fish/vendor_completions.d/ssectl.fish"));
}
