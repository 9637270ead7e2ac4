#include "server/exchange.hpp"

#include <fmt/format.h>

#include "server/server_context.hpp"
#include "sse/util/json.hpp"

namespace sse {
namespace {

ApiError make(int status, std::string code, Rejection rejection, std::string message) {
  return ApiError{status, std::move(code), std::move(message), 0, rejection};
}

bool has_unread_body(Poco::Net::HTTPServerRequest& request) {
  const bool has_body = request.getChunkedTransferEncoding() ||
                        (request.hasContentLength() && request.getContentLength64() > 0);
  return has_body && !request.stream().eof();
}

}  // namespace

ApiError bad_request(std::string message) {
  return make(400, "bad_request", Rejection::kBadRequest, std::move(message));
}
ApiError unauthorized(std::string message) {
  return make(401, "unauthorized", Rejection::kUnauthorized, std::move(message));
}
ApiError forbidden(std::string message) {
  return make(403, "forbidden", Rejection::kForbidden, std::move(message));
}
ApiError not_found(std::string message) {
  return make(404, "not_found", Rejection::kNotFound, std::move(message));
}
ApiError too_many(Rejection why, std::string message, int64_t retry_after_s) {
  ApiError error = make(429, "too_many_requests", why, std::move(message));
  error.retry_after_s = std::max<int64_t>(retry_after_s, 1);
  return error;
}

ApiError api_error_for(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
      return bad_request(error.message());
    case ErrorCode::kNotFound:
      return not_found(error.message());
    case ErrorCode::kUnauthenticated:
      return unauthorized(error.message());
    case ErrorCode::kPermissionDenied:
      return forbidden(error.message());
    case ErrorCode::kUnavailable: {
      ApiError unavailable = make(503, "unavailable", Rejection::kInternal, error.message());
      unavailable.retry_after_s = 1;
      return unavailable;
    }
    case ErrorCode::kCorruption:
    case ErrorCode::kIoError:
    case ErrorCode::kInternal:
      break;
  }
  return make(500, "internal", Rejection::kInternal, error.message());
}

Exchange::Exchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                   ServerContext& context)
    : request_(request), response_(response), context_(context) {
  const std::string& uri = request.getURI();
  const size_t q = uri.find('?');
  try {
    Poco::URI::decode(uri.substr(0, q), path_);
  } catch (...) {
    path_ = uri.substr(0, q);
  }
  if (q != std::string::npos) {
    try {
      query_ = Poco::URI(uri).getQueryParameters();
    } catch (...) {
      query_.clear();
      query_malformed_ = true;
    }
  }
}

std::optional<std::string> Exchange::query(std::string_view name) const {
  for (const auto& [key, value] : query_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<Identity, ApiError> Exchange::authenticate() {
  std::string token;
  if (request_.has("Authorization")) {
    auto bearer = bearer_token(request_.get("Authorization"));
    if (!bearer) return unauthorized("the Authorization header must be 'Bearer <token>'");
    token = std::move(*bearer);
  } else if (auto from_query = query("token")) {
    token = std::move(*from_query);
  }
  if (token.empty()) {
    return unauthorized("missing token: send 'Authorization: Bearer <token>' or ?token=");
  }
  auto identity = context_.auth.authenticate(token);
  if (!identity) return unauthorized(identity.message());
  // docs/api.md, "Authentication": 'user' may subscribe and publish; 'admin' more.
  if (!identity->has_role("user") && !identity->is_admin()) {
    return forbidden("this token has neither the user nor the admin role");
  }
  return std::move(identity).value();
}

Result<Identity, ApiError> Exchange::authenticate_admin() {
  auto identity = authenticate();
  if (identity && !identity->is_admin()) return forbidden("this needs the admin role");
  return identity;
}

void Exchange::send_text(int status, std::string_view content_type, std::string_view body) {
  status_ = status;
  // A body nobody read (a GET with one, a POST refused before reading) would
  // be parsed as the next request on this connection: close it instead.
  if (has_unread_body(request_)) response_.setKeepAlive(false);
  // With its reason phrase: "404 Not Found", never "404 OK".
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response_.setContentType(std::string(content_type));
  response_.set("Cache-Control", "no-store");
  response_.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response_.sendBuffer(body.data(), body.size());
}

void Exchange::send_json(int status, std::string_view body) {
  send_text(status, "application/json", body);
}

void Exchange::send_error(const ApiError& error) {
  context_.metrics.count(error.rejection);
  if (error.status == 401) response_.set("WWW-Authenticate", "Bearer realm=\"sse-server\"");
  if (error.retry_after_s > 0) response_.set("Retry-After", std::to_string(error.retry_after_s));
  send_json(error.status, fmt::format(R"({{"error":{{"code":{},"message":{}}}}})",
                                      json_quote(error.code), json_quote(error.message)));
}

}  // namespace sse
