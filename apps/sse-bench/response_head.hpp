#pragma once

// HTTP/1.1 response heads (RFC 9112 section 4, 6), read by subscribers and by
// the publisher: the status and what frames the body.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sse/util/result.hpp"

namespace sse::bench {

struct ResponseHead {
  int status = 0;
  bool chunked = false;                    // Transfer-Encoding ends in chunked
  std::optional<uint64_t> content_length;  // ignored when chunked (RFC 9112 6.3)
  bool close = false;                      // Connection: close, or HTTP/1.0 without keep-alive
};

// The size of the head at the front of `bytes`, through the empty line that
// ends it (CRLF CRLF, or bare LFs); nullopt while it is incomplete.
std::optional<size_t> find_head_end(std::string_view bytes);

// Parses a complete head (as found by find_head_end). Errors name what is
// wrong: no "HTTP/1.x NNN" status line, a Content-Length that is not a number.
Result<ResponseHead> parse_response_head(std::string_view head);

}  // namespace sse::bench
