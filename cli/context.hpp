#pragma once

// What every command gets: the resolved settings, the output, the token and
// an HTTP client, plus helpers that turn client errors into exit codes.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "output.hpp"
#include "settings.hpp"
#include "sse/client/http_client.hpp"

namespace CLI {
class App;
}

namespace sse::cli {

class Context {
 public:
  GlobalFlags flags;            // filled by CLI11
  std::function<int()> action;  // set by the chosen command's callback
  std::map<std::string, std::string> env;
  std::vector<std::string> trailing;  // `ssectl wait`: the words after "--"

  // Resolves settings from flags, env and the config file (after parsing).
  void resolve();
  const Settings& settings() const { return settings_; }
  const Output& out() const { return output_; }

  // The token ("" when none was given), read from its file or stdin once.
  const std::string& token();

  // Reads all of stdin for `purpose` ("the token", "--data -"); stdin can
  // serve only one purpose per run, a second claim is a usage error.
  std::string read_stdin(const std::string& purpose);

  // Client options: the URL, the token, --timeout or `default_timeout`, -v tracing.
  ClientOptions client_options(
      std::chrono::milliseconds default_timeout = std::chrono::seconds(30));
  HttpClient client() { return HttpClient(client_options()); }

  // Ends the command with the exit code and hint for `error`.
  [[noreturn]] void fail_request(const ClientError& error);

  // A 2xx response's body parsed as JSON, or fail with kExitProtocol.
  static std::string require_json(const std::string& body, const std::string& what);

 private:
  Settings settings_;
  Output output_;
  std::optional<std::string> token_;
  std::string stdin_claimed_by_;
};

// Reads a whole file, or fails with `code` naming it and what it was for.
std::string read_file_or_fail(const std::string& path, const std::string& what, int code);

// Strips trailing CR/LF (as sse-server does for its secret file) and spaces.
std::string trim_trailing_newlines(std::string text);

}  // namespace sse::cli
