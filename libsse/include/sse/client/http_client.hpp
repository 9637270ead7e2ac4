#pragma once

// A small blocking HTTP/1.1 client for sse-server's JSON API (ssectl's
// transport), on Poco::Net::HTTPClientSession: one connection per request,
// bearer authentication, JSON error bodies decoded, every failure a value.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sse/client/url.hpp"
#include "sse/util/result.hpp"

namespace sse {

// Why a request did not succeed; callers map it to exit codes.
enum class ClientErrorKind {
  kUnreachable,  // connection refused, unknown host, network down
  kTimeout,      // connect or read took longer than ClientOptions::timeout
  kProtocol,     // not HTTP, or not the answer this API gives (bad JSON, wrong type)
  kHttp,         // the server answered with a non-2xx status
};

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::kProtocol;
  std::string message;        // one line: the server's error message, or what went wrong
  int status = 0;             // kHttp: the HTTP status
  std::string code;           // kHttp: the server's error code ("unauthorized"), if it sent one
  std::string body;           // kHttp: the raw body
  int64_t retry_after_s = 0;  // kHttp 429/503: the Retry-After header, 0 when absent
  // Not kHttp: the request had gone out before the failure, so the server may
  // have acted on it (a publish must not be sent again).
  bool request_sent = false;
};

inline ClientError client_error(ClientErrorKind kind, std::string message) {
  ClientError error;
  error.kind = kind;
  error.message = std::move(message);
  return error;
}

struct ClientOptions {
  Url url;
  std::string token;                                            // empty: no Authorization header
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // connect, and each read
  // Called with one line per request and response ("> GET /health", "< 200 OK")
  // for --verbose; never with the token. Optional.
  std::function<void(std::string_view)> trace;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // "" when absent.
  std::string header(const std::string& lower_name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Decodes {"error":{"code":…,"message":…}}; {"",""} when the body is not that.
std::pair<std::string, std::string> decode_error_body(std::string_view body);

// Copyable and cheap; not thread-safe (each call opens its own connection).
class HttpClient {
 public:
  explicit HttpClient(ClientOptions options) : options_(std::move(options)) {}

  // `target` is a path and query ("/admin/connections?user=x"); the URL's
  // path prefix is prepended. A 2xx answer is a value; anything else is a
  // ClientError (kHttp for non-2xx, with the server's error decoded).
  Result<HttpResponse, ClientError> request(const std::string& method, const std::string& target,
                                            const std::string& body = "",
                                            const Headers& headers = {}) const;

  Result<HttpResponse, ClientError> get(const std::string& target) const {
    return request("GET", target);
  }
  Result<HttpResponse, ClientError> post_json(const std::string& target,
                                              const std::string& json) const {
    return request("POST", target, json, {{"Content-Type", "application/json"}});
  }
  Result<HttpResponse, ClientError> del(const std::string& target) const {
    return request("DELETE", target);
  }

  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
};

// Builds the ClientError for a non-2xx response (decodes the JSON error body).
ClientError http_error_from(const HttpResponse& response);

}  // namespace sse
