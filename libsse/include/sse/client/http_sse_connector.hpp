#pragma once

// SseConnector over HTTP (Poco::Net::HTTPClientSession): GET `target` with
// Accept: text/event-stream, the bearer token and Last-Event-ID.

#include <string>

#include "sse/client/http_client.hpp"
#include "sse/client/sse_subscriber.hpp"

namespace sse {

class HttpSseConnector final : public SseConnector {
 public:
  // open()'s timeout bounds connecting and reading the response head (not
  // options.timeout); reads of the open stream wait as long as
  // SseConnection::read is told to.
  HttpSseConnector(ClientOptions options, std::string target)
      : options_(std::move(options)), target_(std::move(target)) {}

  Result<OpenedStream, ClientError> open(const std::string& last_event_id,
                                         int64_t timeout_ms) override;

 private:
  ClientOptions options_;
  std::string target_;
};

}  // namespace sse
