#pragma once

// One HTTP request and its response, with the helpers every endpoint needs:
// query parameters, authentication, JSON answers and the JSON errors of
// docs/api.md ("Errors").

#include <optional>
#include <string>
#include <string_view>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include "sse/auth/identity.hpp"
#include "sse/server/rejection.hpp"
#include "sse/util/result.hpp"

namespace sse {

struct ServerContext;

// An error as the client sees it: {"error": {"code": …, "message": …}}.
struct ApiError {
  int status = 500;
  std::string code;  // "unauthorized", "bad_request", …
  std::string message;
  int64_t retry_after_s = 0;  // 429: the Retry-After header
  Rejection rejection = Rejection::kInternal;
};

ApiError bad_request(std::string message);
ApiError unauthorized(std::string message);
ApiError forbidden(std::string message);
ApiError not_found(std::string message);
ApiError too_many(Rejection why, std::string message, int64_t retry_after_s);
// The answer to a core error: invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, unavailable 503 (Retry-After: 1),
// anything else 500.
ApiError api_error_for(const Error& error);

class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
           ServerContext& context);

  Poco::Net::HTTPServerRequest& request() { return request_; }
  Poco::Net::HTTPServerResponse& response() { return response_; }
  ServerContext& context() { return context_; }
  const std::string& path() const { return path_; }

  // The first value of a query parameter.
  std::optional<std::string> query(std::string_view name) const;
  // The query string is not valid percent-encoding (then query() finds
  // nothing, and dispatch() answers 400 before any handler runs).
  bool query_malformed() const { return query_malformed_; }

  // The caller's identity from "Authorization: Bearer …" or ?token=: 401
  // without a valid token, 403 when it has neither the user nor the admin role.
  Result<Identity, ApiError> authenticate();
  // As authenticate(), and 403 unless the identity has the admin role.
  Result<Identity, ApiError> authenticate_admin();

  void send_json(int status, std::string_view body);
  void send_text(int status, std::string_view content_type, std::string_view body);
  void send_error(const ApiError& error);

  // The status sent, for the access log (0: nothing sent yet).
  int status() const { return status_; }
  // The handler kept the socket (an SSE stream): the connection is no longer
  // Poco's, and no further request will come on it.
  void mark_streaming() {
    status_ = 200;
    streaming_ = true;
  }
  bool streaming() const { return streaming_; }

 private:
  Poco::Net::HTTPServerRequest& request_;
  Poco::Net::HTTPServerResponse& response_;
  ServerContext& context_;
  std::string path_;
  Poco::URI::QueryParameters query_;
  bool query_malformed_ = false;
  int status_ = 0;
  bool streaming_ = false;
};

}  // namespace sse
