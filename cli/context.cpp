#include "context.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

namespace sse::cli {

void Context::resolve() {
  settings_ = resolve_settings(flags, env);
  const auto no_color = env.find("NO_COLOR");
  const auto term = env.find("TERM");
  output_ = Output(settings_, isatty(STDOUT_FILENO) == 1,
                   no_color != env.end() && !no_color->second.empty(),
                   term != env.end() && term->second == "dumb");
  if (!settings_.config_path.empty()) output_.trace("config: " + settings_.config_path);
}

std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string read_file_or_fail(const std::string& path, const std::string& what, int code) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(code, fmt::format("cannot read {} '{}'; check the path and its permissions", what, path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string Context::read_stdin(const std::string& purpose) {
  if (!stdin_claimed_by_.empty()) {
    fail(kExitUsage, fmt::format("stdin is already read for {}; give {} another way",
                                 stdin_claimed_by_, purpose));
  }
  stdin_claimed_by_ = purpose;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

const std::string& Context::token() {
  if (token_) return *token_;
  const TokenSource& source = settings_.token;
  switch (source.kind) {
    case TokenSource::kNone:
      token_ = "";
      break;
    case TokenSource::kLiteral:
      token_ = source.value;
      break;
    case TokenSource::kFile:
      token_ = trim_trailing_newlines(read_file_or_fail(
          source.value, fmt::format("the token file ({})", source.origin), kExitConfig));
      break;
    case TokenSource::kStdin:
      token_ = trim_trailing_newlines(read_stdin("the token (--token -)"));
      break;
  }
  if (source.kind != TokenSource::kNone && token_->empty()) {
    fail(kExitBadInput, fmt::format("the token from {} is empty", source.origin));
  }
  return *token_;
}

ClientOptions Context::client_options(std::chrono::milliseconds default_timeout) {
  ClientOptions options;
  options.url = settings_.url;
  options.token = token();
  options.timeout = settings_.timeout.value_or(default_timeout);
  if (settings_.verbose) {
    const Output* out = &output_;
    options.trace = [out](std::string_view line) { out->trace(line); };
  }
  return options;
}

void Context::fail_request(const ClientError& error) {
  const std::string url = settings_.url.to_string();
  switch (error.kind) {
    case ClientErrorKind::kUnreachable:
      fail(kExitUnavailable,
           fmt::format("cannot reach sse-server: {}; is it running? Set the address with --server "
                       "or SSECTL_SERVER (now from {})",
                       error.message, settings_.server_origin));
    case ClientErrorKind::kTimeout:
      fail(kExitTimeout, fmt::format("{}; raise --timeout or check the server", error.message));
    case ClientErrorKind::kProtocol:
      fail(kExitProtocol,
           fmt::format("unexpected answer: {}; does --server point at sse-server?", error.message));
    case ClientErrorKind::kHttp:
      break;
  }
  const std::string what = fmt::format("{} ({})", error.message, error.status);
  switch (error.status) {
    case 401:
      if (settings_.token.kind == TokenSource::kNone) {
        fail(kExitAuth, fmt::format("the server wants a token: {}; pass --token, --token-file or "
                                    "set SSECTL_TOKEN (ssectl token demo|jwt makes one)",
                                    what));
      }
      fail(kExitAuth, fmt::format("the server refused the token from {}: {}; get a valid token",
                                  settings_.token.origin, what));
    case 403:
      fail(kExitAuth, fmt::format("not allowed: {}; use a token with the role this needs", what));
    case 400:
    case 413:
    case 415:
    case 422:
      fail(kExitBadInput, fmt::format("the server rejected the request: {}", what));
    case 429:
    case 503:
      fail(kExitBusy, error.retry_after_s > 0
                          ? fmt::format("{}; try again in {} s", what, error.retry_after_s)
                          : fmt::format("{}; try again later", what));
    default:
      fail(kExitFailure, fmt::format("{} answered: {}", url, what));
  }
}

std::string Context::require_json(const std::string& body, const std::string& what) {
  try {
    Poco::JSON::Parser parser;
    (void)parser.parse(body);
  } catch (const std::exception&) {
    fail(kExitProtocol, fmt::format("{}: the server's answer is not JSON; does --server point at "
                                    "sse-server?",
                                    what));
  }
  return body;
}

}  // namespace sse::cli
