#include "sse/config/redis_url.hpp"

#include <cctype>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

namespace sse {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int64_t kMaxDb = 1000000;

// Where the user information ends (its '@'), or npos. `rest` is the URL after
// its scheme; hosts, ports and db numbers never hold '@', so the last one
// ends it and whatever a password holds stays inside.
size_t userinfo_end(std::string_view rest) { return rest.rfind('@'); }

std::string_view after_scheme(std::string_view url) {
  const auto scheme_end = url.find("://");
  return scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
}

Error bad_url(std::string_view url, std::string_view problem) {
  return Error::invalid_argument(
      fmt::format("invalid Redis URL \"{}\": {}", redacted_redis_url(url), problem));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 2.1: "%" HEXDIG HEXDIG is the octet it names.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// The value of a run of decimal digits (saturating past 18 of them), or
// nothing when `text` is empty or holds anything else.
std::optional<int64_t> decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value < INT64_C(100000000000000000)) value = value * 10 + (c - '0');
  }
  return value;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool is_ipv6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// host[:port] or [ipv6][:port] into `endpoint`; the problem, if any.
std::optional<std::string> parse_authority(std::string_view authority, RedisEndpoint& endpoint) {
  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unbalanced brackets: '[' without ']'";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (host.empty()) return "empty host in '[]'";
    bool is_ipv6 = host.find(':') != std::string_view::npos;
    for (char c : host) is_ipv6 = is_ipv6 && is_ipv6_char(c);
    if (!is_ipv6) return fmt::format("\"{}\" in brackets is not an IPv6 address", host);
    if (!after.empty()) {
      if (after.front() != ':') return "expected ':port' after ']'";
      port = after.substr(1);
    }
  } else {
    if (authority.find_first_of("[]") != std::string_view::npos) {
      return "unbalanced brackets around the host";
    }
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        return "an IPv6 address must be in brackets, as in redis://[::1]:6379";
      }
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return "empty host";
    for (char c : host) {
      if (!is_name_char(c)) return fmt::format("invalid character in host \"{}\"", host);
    }
  }
  endpoint.host = std::string(host);
  if (port) {
    const auto value = decimal(*port);
    if (!value) return fmt::format("port \"{}\" is not a number", *port);
    if (*value < 1 || *value > 65535) {
      return fmt::format("port must be between 1 and 65535, got {}", *port);
    }
    endpoint.port = static_cast<int>(*value);
  }
  return std::nullopt;
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) return bad_url(url, "must start with \"redis://\"");
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;

  if (const auto at = userinfo_end(rest); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    auto username = percent_decode(userinfo.substr(0, colon));
    if (!username) return bad_url(url, "bad %-escape in the username (use %XX)");
    auto password = percent_decode(colon == std::string_view::npos ? std::string_view()
                                                                   : userinfo.substr(colon + 1));
    if (!password) return bad_url(url, "bad %-escape in the password (use %XX)");
    endpoint.username = std::move(*username);
    endpoint.password = std::move(*password);
  }

  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url(url, "a query or fragment ('?' or '#') is not allowed");
  }
  const auto slash = rest.find('/');
  if (auto problem = parse_authority(rest.substr(0, slash), endpoint))
    return bad_url(url, *problem);

  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto value = decimal(db);
      if (!value) {
        return bad_url(url, fmt::format("db \"{}\" is not a non-negative integer", db));
      }
      if (*value > kMaxDb) {
        return bad_url(url, fmt::format("db must be at most {}, got {}", kMaxDb, db));
      }
      endpoint.db = static_cast<int>(*value);
    }
  }
  return endpoint;
}

std::string redacted_redis_url(std::string_view url) {
  const std::string_view rest = after_scheme(url);
  const auto at = userinfo_end(rest);
  if (at == std::string_view::npos) return std::string(url);
  const size_t start = url.size() - rest.size();  // where the user information begins
  const std::string_view userinfo = rest.substr(0, at);
  const auto colon = userinfo.find(':');
  // A username alone, or an empty password: nothing to hide.
  if (colon == std::string_view::npos || colon + 1 == userinfo.size()) return std::string(url);
  return fmt::format("{}***{}", url.substr(0, start + colon + 1), rest.substr(at));
}

}  // namespace sse
