#include "sse-bench/target.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

#include "sse/util/parse.hpp"

namespace sse::bench {

Result<Target> parse_target(std::string_view url, PlaceholderSet allowed) {
  auto bad = [&](const std::string& why) {
    return Error::invalid_argument("bad URL '" + std::string(url) + "': " + why);
  };
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") return bad("https is not supported; use http://");
  if (url.substr(0, kScheme.size()) != kScheme) return bad("expected http://host[:port]/path");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string path(slash == std::string_view::npos ? "/" : rest.substr(slash));
  if (path[0] == '?') path.insert(0, "/");
  if (path.find('#') != std::string::npos) return bad("a fragment (#) is not sent to servers");
  if (authority.empty()) return bad("no host");
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");
  if (authority.find('{') != std::string_view::npos) {
    return bad("placeholders go in the path or query, not the host");
  }
  Target target;
  target.authority = std::string(authority);
  std::string_view host = authority;
  std::string_view port;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty() && port.front() != ':') return bad("expected ':' after ']'");
    if (!port.empty()) port.remove_prefix(1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return bad("no host");
  if (!port.empty()) {
    const auto number = parse_uint64(port);
    if (!number || *number == 0 || *number > 65535) return bad("the port must be 1..65535");
    target.port = static_cast<uint16_t>(*number);
  }
  target.host = std::string(host);
  // The whole URL first, so an error quotes all of it (the host has no '{').
  if (auto whole = Template::parse(url, allowed); !whole) return whole.error();
  auto parsed = Template::parse(path, allowed);
  if (!parsed) return parsed.error();
  target.path = std::move(*parsed);
  return target;
}

bool Address::is_loopback_v4() const {
  if (storage.ss_family != AF_INET) return false;
  const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
  return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
}

std::string Address::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
    return std::string(text) + ":" + std::to_string(port);
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

Result<Address> resolve(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error::unavailable("cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  Address address;
  std::memcpy(&address.storage, pick->ai_addr, pick->ai_addrlen);
  address.length = pick->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

Address loopback_source(int n) {
  Address address;
  auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
  in->sin_family = AF_INET;
  in->sin_port = 0;
  in->sin_addr.s_addr = htonl((127u << 24) | static_cast<uint32_t>(2 + n));
  address.length = sizeof(sockaddr_in);
  return address;
}

}  // namespace sse::bench
