#include "server/exchange.hpp"

#include <Poco/URI.h>
#include <fmt/format.h>

#include "server/server_context.hpp"
#include "sse/util/json.hpp"
#include "sse/util/logger.hpp"

namespace sse {
namespace {

ApiError make(int status, std::string code, Rejection rejection, std::string message) {
  return ApiError{status, std::move(code), std::move(message), 0, rejection};
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

std::string error_body(std::string_view code, std::string_view message) {
  return fmt::format(R"({{"error":{{"code":{},"message":{}}}}})", json_quote(code),
                     json_quote(message));
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

std::shared_ptr<Exchange> Exchange::make(HttpRequest request, ServerContext& context,
                                         Responder respond) {
  // One allocation for the exchange and its reference count.
  return std::make_shared<Exchange>(MadeByMake{}, std::move(request), context, std::move(respond));
}

Exchange::Exchange(MadeByMake, HttpRequest request, ServerContext& context, Responder respond)
    : request_(std::move(request)), context_(context), respond_(std::move(respond)) {
  // The time is read for the access log's "ms" only.
  if (context_.config.log.access_log) started_ = std::chrono::steady_clock::now();
  const std::string& uri = request_.head->target;
  const size_t q = uri.find('?');
  const std::string_view raw_path = std::string_view(uri).substr(0, q);
  path_ = raw_path;  // nothing to decode, unless there is a '%'
  if (raw_path.find('%') != std::string_view::npos) {
    try {
      Poco::URI::decode(std::string(raw_path), decoded_path_);
      path_ = decoded_path_;
    } catch (...) {
      decoded_path_.clear();
    }
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

Result<std::shared_ptr<const Identity>, ApiError> Exchange::authenticate() {
  std::string_view token;  // into the header, or into from_query
  std::optional<std::string> from_query;
  if (auto authorization = header("Authorization")) {
    auto bearer = bearer_token(*authorization);
    if (!bearer) return unauthorized("the Authorization header must be 'Bearer <token>'");
    token = *bearer;
  } else if ((from_query = query("token"))) {
    token = *from_query;
  }
  if (token.empty()) {
    return unauthorized("missing token: send 'Authorization: Bearer <token>' or ?token=");
  }
  auto identity = context_.auth.authenticate_shared(token);
  if (!identity) return unauthorized(identity.message());
  // docs/api.md, "Authentication": 'user' may subscribe and publish; 'admin' more.
  const Identity& who = **identity;
  if (!who.has_role("user") && !who.is_admin()) {
    return forbidden("this token has neither the user nor the admin role");
  }
  return std::move(identity).value();
}

Result<std::shared_ptr<const Identity>, ApiError> Exchange::authenticate_admin() {
  auto identity = authenticate();
  if (identity && !(*identity)->is_admin()) return forbidden("this needs the admin role");
  return identity;
}

void Exchange::set_header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
}

void Exchange::answer(int status, const http::Headers& headers, std::string_view content_type,
                      std::string_view body) {
  if (answered_) return;
  http::Framing framing;
  // Not during shutdown: the loop closes the connection after this answer.
  framing.keep_alive = request_.head->keep_alive && context_.ready.load();
  framing.http10 = request_.head->minor_version == 0;
  framing.head_only = request_.head->method == "HEAD";
  Reply reply;
  reply.bytes = http::serialize(status, headers, content_type, body, framing);
  reply.keep_alive = framing.keep_alive;
  reply.status = status;
  answered_ = true;  // after what may throw: a failed answer can still be a 500
  deliver(std::move(reply));
}

void Exchange::deliver(Reply reply) {
  status_ = reply.status;
  Logger& logger = context_.logger;
  if (context_.config.log.access_log && logger.enabled(LogLevel::kInfo)) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started_)
                            .count();
    logger.info("request", {{"method", method()},
                            {"uri", redact_query(target())},
                            {"status", std::to_string(status_)},
                            {"ms", fmt::format("{:.3f}", micros / 1000.0)},
                            {"remote", remote_address()}});
  }
  Responder respond = std::move(respond_);
  if (respond) respond(std::move(reply));
}

void Exchange::send_text(int status, std::string_view content_type, std::string_view body) {
  // Every answer but a stream's is no-store, after the handler's headers.
  // Most have no others: then a list made once serves (no allocation).
  static const http::Headers kNoStoreOnly = {{"Cache-Control", "no-store"}};
  if (headers_.empty()) return answer(status, kNoStoreOnly, content_type, body);
  set_header("Cache-Control", "no-store");
  answer(status, headers_, content_type, body);
}

void Exchange::send_json(int status, std::string_view body) {
  send_text(status, "application/json", body);
}

void Exchange::send_error(const ApiError& error) {
  context_.metrics.count(error.rejection);
  if (error.status == 401) set_header("WWW-Authenticate", "Bearer realm=\"sse-server\"");
  if (error.retry_after_s > 0) set_header("Retry-After", std::to_string(error.retry_after_s));
  send_json(error.status, error_body(error.code, error.message));
}

void Exchange::send_stream(StreamId stream) {
  if (answered_) return;
  http::Response response;
  response.status = 200;
  response.headers = std::move(headers_);
  response.headers.emplace_back("Content-Type", "text/event-stream; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");
  http::Framing framing;
  framing.keep_alive = false;  // the body is the stream: it ends with the connection
  framing.open_ended = true;
  Reply reply;
  reply.bytes = http::serialize(response, framing);
  reply.keep_alive = false;
  reply.stream = stream;
  reply.status = 200;
  answered_ = true;
  deliver(std::move(reply));
}

}  // namespace sse
