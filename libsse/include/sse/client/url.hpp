#pragma once

// Server addresses as ssectl takes them (--server, SSECTL_SERVER, config):
// "http://host[:port][/prefix]". Only plain HTTP is spoken; https is refused
// with a message, since sse-server itself runs behind a TLS proxy.

#include <string>
#include <string_view>

#include "sse/util/result.hpp"

namespace sse {

struct Url {
  std::string scheme = "http";
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 80;
  std::string path_prefix;  // "" or "/base" (no trailing '/'): prepended to every request path

  // "http://host:port" plus the prefix, for messages.
  std::string to_string() const;
};

// Parses an absolute http URL. A missing scheme is an error (so "localhost:3000"
// is not mistaken for a scheme); query and fragment are refused; a trailing '/'
// is dropped. Errors quote the text and say what form is expected.
Result<Url> parse_url(std::string_view text);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace sse
