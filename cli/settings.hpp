#pragma once

// ssectl's global settings and where each comes from: a flag, else an
// SSECTL_* environment variable, else $XDG_CONFIG_HOME/ssectl/config.toml
// (~/.config/ssectl/config.toml) or the file --config / SSECTL_CONFIG names,
// else the default. CLI11's own config
// reading would put the file above the environment, so the file is read here.

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "sse/client/url.hpp"

namespace sse::cli {

enum class OutputFormat { kText, kJson, kRaw };
enum class ColorMode { kAuto, kAlways, kNever };

inline constexpr const char* kDefaultServer = "http://127.0.0.1:3000";

// The global options as CLI11 parsed them; `*_given` says the flag was on the
// command line (an empty value then still wins).
struct GlobalFlags {
  std::string server;
  std::string token;  // "-": read from stdin
  std::string token_file;
  std::string output;
  std::string timeout;
  std::string color;
  std::string config;  // --config FILE
  bool quiet = false;
  bool verbose = false;
  bool server_given = false;
  bool token_given = false;
  bool token_file_given = false;
  bool output_given = false;
  bool timeout_given = false;
  bool color_given = false;
  bool config_given = false;
};

// Where the token comes from; read only by commands that need one.
struct TokenSource {
  enum Kind { kNone, kLiteral, kFile, kStdin } kind = kNone;
  std::string value;   // the token (kLiteral) or a path (kFile)
  std::string origin;  // "--token", "SSECTL_TOKEN", "config.toml" … for messages
};

struct Settings {
  Url url;
  std::string server_origin;  // where the URL came from, for messages
  TokenSource token;
  OutputFormat output = OutputFormat::kText;
  std::optional<std::chrono::milliseconds> timeout;  // nullopt: the command's default
  ColorMode color = ColorMode::kAuto;
  bool quiet = false;
  bool verbose = false;
  std::string config_path;  // the config file read, "" when none
};

// The config file's path for this environment ("" when neither
// XDG_CONFIG_HOME nor HOME is set).
std::string config_file_path(const std::map<std::string, std::string>& env);

// Resolves every setting. Throws Failure: kExitUsage for a bad flag value,
// kExitConfig for a bad environment variable or config file (the message
// names the variable, or the file and key).
Settings resolve_settings(const GlobalFlags& flags, const std::map<std::string, std::string>& env);

// The process environment as a map.
std::map<std::string, std::string> process_environment();

}  // namespace sse::cli
