#include "settings.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "sse/config/duration.hpp"
#include "sse/config/toml_file.hpp"

extern char** environ;

namespace sse::cli {
namespace {

// One setting's value and where it was found.
struct Found {
  std::string value;
  std::string origin;
  int bad_value_code = kExitConfig;  // a bad flag is a usage error
};

class ConfigFile {
 public:
  // `required`: the file was named (--config, SSECTL_CONFIG), so it must exist.
  static ConfigFile load(const std::string& path, bool required, const std::string& origin) {
    ConfigFile file;
    if (required && !std::filesystem::is_regular_file(path)) {
      fail(kExitConfig, fmt::format("{}: no config file '{}'; check the path", origin, path));
    }
    if (path.empty() || !std::filesystem::exists(path)) return file;
    file.path_ = path;
    Result<toml::table> table = parse_toml_file(path);
    if (!table) fail(kExitConfig, table.message() + "; fix the file or move it away");
    for (const auto& [key, node] : *table) {
      const std::string name(key.str());
      if (name != "server" && name != "token" && name != "token_file" && name != "output" &&
          name != "timeout" && name != "color") {
        fail(kExitConfig, fmt::format("{}: unknown key '{}' (known: server, token, token_file, "
                                      "output, timeout, color)",
                                      path, name));
      }
      if (auto text = node.value<std::string>(); text && node.is_string()) {
        file.values_[name] = *text;
      } else if (name == "timeout" && node.is_integer()) {  // a bare number of seconds
        file.values_[name] = std::to_string(*node.value<int64_t>());
      } else {
        fail(kExitConfig, fmt::format("{}: key '{}' must be a string", path, name));
      }
    }
    return file;
  }

  std::optional<std::string> get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, std::string> values_;
};

std::optional<Found> pick(bool flag_given, const std::string& flag_value, const char* flag_name,
                          const std::map<std::string, std::string>& env, const char* env_name,
                          const ConfigFile& file, const char* key) {
  if (flag_given) return Found{flag_value, flag_name, kExitUsage};
  if (auto it = env.find(env_name); it != env.end() && !it->second.empty()) {
    return Found{it->second, env_name};
  }
  if (auto value = file.get(key)) return Found{*value, fmt::format("{} ({})", file.path(), key)};
  return std::nullopt;
}

OutputFormat parse_output(const Found& found) {
  if (found.value == "text") return OutputFormat::kText;
  if (found.value == "json") return OutputFormat::kJson;
  if (found.value == "raw") return OutputFormat::kRaw;
  fail(found.bad_value_code,
       fmt::format("{}: output must be text, json or raw (got '{}')", found.origin, found.value));
}

ColorMode parse_color(const Found& found) {
  if (found.value == "auto") return ColorMode::kAuto;
  if (found.value == "always") return ColorMode::kAlways;
  if (found.value == "never") return ColorMode::kNever;
  fail(found.bad_value_code, fmt::format("{}: color must be auto, always or never (got '{}')",
                                         found.origin, found.value));
}

TokenSource token_source(const GlobalFlags& flags, const std::map<std::string, std::string>& env,
                         const ConfigFile& file) {
  if (flags.token_given && flags.token_file_given) {
    fail(kExitUsage, "--token and --token-file both given; use one");
  }
  if (flags.token_given) {
    if (flags.token == "-") return {TokenSource::kStdin, "", "--token -"};
    return {TokenSource::kLiteral, flags.token, "--token"};
  }
  if (flags.token_file_given) return {TokenSource::kFile, flags.token_file, "--token-file"};
  if (auto it = env.find("SSECTL_TOKEN"); it != env.end() && !it->second.empty()) {
    return {TokenSource::kLiteral, it->second, "SSECTL_TOKEN"};
  }
  if (auto it = env.find("SSECTL_TOKEN_FILE"); it != env.end() && !it->second.empty()) {
    return {TokenSource::kFile, it->second, "SSECTL_TOKEN_FILE"};
  }
  if (auto token = file.get("token")) {
    return {TokenSource::kLiteral, *token, fmt::format("{} (token)", file.path())};
  }
  if (auto path = file.get("token_file")) {
    std::string expanded = *path;
    if (expanded.rfind("~/", 0) == 0 && env.count("HOME")) {
      expanded = env.at("HOME") + expanded.substr(1);
    }
    return {TokenSource::kFile, expanded, fmt::format("{} (token_file)", file.path())};
  }
  return {};
}

}  // namespace

std::string config_file_path(const std::map<std::string, std::string>& env) {
  if (auto it = env.find("XDG_CONFIG_HOME"); it != env.end() && !it->second.empty()) {
    return it->second + "/ssectl/config.toml";
  }
  if (auto it = env.find("HOME"); it != env.end() && !it->second.empty()) {
    return it->second + "/.config/ssectl/config.toml";
  }
  return "";
}

Settings resolve_settings(const GlobalFlags& flags, const std::map<std::string, std::string>& env) {
  std::string path = config_file_path(env);
  std::string origin = "the default config file";
  bool named = false;
  if (flags.config_given) {
    path = flags.config;
    origin = "--config";
    named = true;
  } else if (auto it = env.find("SSECTL_CONFIG"); it != env.end() && !it->second.empty()) {
    path = it->second;
    origin = "SSECTL_CONFIG";
    named = true;
  }
  const ConfigFile file = ConfigFile::load(path, named, origin);
  Settings settings;
  settings.config_path = file.path();
  settings.quiet = flags.quiet;
  settings.verbose = flags.verbose;

  Found server =
      pick(flags.server_given, flags.server, "--server", env, "SSECTL_SERVER", file, "server")
          .value_or(Found{kDefaultServer, "the default"});
  auto url = parse_url(server.value);
  if (!url) fail(server.bad_value_code, fmt::format("{}: {}", server.origin, url.message()));
  settings.url = *url;
  settings.server_origin = server.origin;

  settings.token = token_source(flags, env, file);
  if (auto output = pick(flags.output_given, flags.output, "--output", env, "SSECTL_OUTPUT", file,
                         "output")) {
    settings.output = parse_output(*output);
  }
  if (auto color =
          pick(flags.color_given, flags.color, "--color", env, "SSECTL_COLOR", file, "color")) {
    settings.color = parse_color(*color);
  }
  if (auto timeout = pick(flags.timeout_given, flags.timeout, "--timeout", env, "SSECTL_TIMEOUT",
                          file, "timeout")) {
    auto duration = parse_duration(timeout->value);
    if (!duration) {
      fail(timeout->bad_value_code, fmt::format("{}: {}", timeout->origin, duration.message()));
    }
    if (duration->count() > 0) settings.timeout = *duration;
  }
  return settings;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return env;
}

}  // namespace sse::cli
