#pragma once

// An HTTP/1.1 response as bytes: the status line with its reason phrase, the
// headers every answer of this server carries, and the body. Pure functions;
// thread-safe.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse::http {

// RFC 9110 15: "Not Found" for 404; "Unknown" for a code it does not list.
std::string_view reason_phrase(int status);

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond those serialize() adds
  std::string body;
};

struct Framing {
  bool keep_alive = true;   // false: "Connection: close", and the server closes after it
  bool head_only = false;   // a HEAD request: Content-Length of the body, and no body
  bool http10 = false;      // the request was HTTP/1.0: keep-alive must be said explicitly
  bool open_ended = false;  // an SSE stream: no Content-Length, the body goes on until close
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Status line, Date, Server, `headers`, Content-Type (unless empty),
// Content-Length (unless open ended or 204), Connection, the blank line and
// the body (unless head_only).
std::string serialize(int status, const Headers& headers, std::string_view content_type,
                      std::string_view body, const Framing& framing);
// The same, of a Response (its headers include any Content-Type).
std::string serialize(const Response& response, const Framing& framing);

// The IMF-fixdate of now (RFC 9110 5.6.7), cached per second and per thread.
std::string_view http_date_now();

}  // namespace sse::http
