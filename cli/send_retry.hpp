#pragma once

// `ssectl send --retry N`: which failed POSTs get another attempt, and when.
// Only failures in which the server cannot have taken the event are retried:
// it refused for now (429, 503) or no connection could be made. A timeout is
// never retried (the request may have arrived and the event been logged), nor
// is anything the server answered with 2xx, so no event is sent twice.

#include <cstdint>
#include <string>

#include "output.hpp"
#include "sse/client/http_client.hpp"
#include "sse/client/reconnect_backoff.hpp"
#include "sse/client/sse_subscriber.hpp"

namespace sse::cli {

// True for 429, 503 and an unreachable server.
bool send_may_retry(const ClientError& error);

struct RetryPlan {
  int retries = 0;    // attempts after the first (--retry); 0: one attempt
  std::string where;  // "" or "stdin line 3": prefixes the notices
};

// POSTs `json` to `target`, then again after each retryable failure, at most
// plan.retries more times, each retry announced by a notice on `out`, after
// ReconnectBackoff's delay (never less than the server's Retry-After). The 2xx
// response, or the last failure (for Context::fail_request). `sleeper` does
// the waiting (tests inject one that does not sleep).
Result<HttpResponse, ClientError> post_with_retries(const HttpClient& client,
                                                    const std::string& target,
                                                    const std::string& json, const RetryPlan& plan,
                                                    const Output& out, Sleeper& sleeper);

}  // namespace sse::cli
