#include "sse/client/url.hpp"

#include <charconv>

#include <fmt/format.h>

namespace sse {
namespace {

Error bad_url(std::string_view text, std::string_view why) {
  return Error::invalid_argument(
      fmt::format("invalid server URL '{}': {} (expected http://HOST[:PORT][/PATH])", text, why));
}

}  // namespace

std::string Url::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}", scheme, ipv6 ? "[" : "", host, ipv6 ? "]" : "", port,
                     path_prefix);
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad_url(text, "no scheme");
  url.scheme = std::string(text.substr(0, scheme_end));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme == "https") {
    return bad_url(text,
                   "https is not supported; put sse-server behind a TLS proxy and reach it "
                   "over http on the same host, or use an SSH tunnel");
  }
  if (url.scheme != "http")
    return bad_url(text, fmt::format("unsupported scheme '{}'", url.scheme));
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url(text, "a query or fragment is not allowed");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path_prefix = std::string(path);
  if (authority.find('@') != std::string_view::npos) {
    return bad_url(text, "credentials in the URL are not allowed; use --token");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // RFC 3986 3.2.2: IP-literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(text, "unterminated '['");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(text, "junk after ']'");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (url.host.find(':') != std::string::npos) return bad_url(text, "put an IPv6 address in []");
  }
  if (url.host.empty()) return bad_url(text, "no host");
  if (port_text.data() != nullptr && port_text.empty() &&
      authority.find(':') != std::string_view::npos) {
    return bad_url(text, "empty port");
  }
  if (!port_text.empty()) {
    int port = 0;
    auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (err != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return bad_url(text, fmt::format("port '{}' is not a number from 1 to 65535", port_text));
    }
    url.port = port;
  }
  return url;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace sse
