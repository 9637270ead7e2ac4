#pragma once

// One HTTP request and its answer, as a handler sees them: the request read
// whole by the edge (head and body), and the helpers every endpoint needs —
// query parameters, authentication, JSON answers and the JSON errors of
// docs/api.md ("Errors"). A handler answers exactly once: send_json,
// send_text, send_error or send_stream, now or — after defer() — later from
// any thread (a publish answers when the log has its event). The answer goes
// to the edge's Responder, which writes it on the connection's event loop.
//
// Not thread-safe: one thread at a time owns an exchange. Made by make().

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "sse/auth/identity.hpp"
#include "sse/server/rejection.hpp"
#include "sse/stream/writer_loop.hpp"
#include "sse/util/result.hpp"

namespace sse {

struct ServerContext;

// An error as the client sees it: {"error": {"code": …, "message": …}}.
struct ApiError {
  int status = 500;
  std::string code;  // "unauthorized", "bad_request", …
  std::string message;
  int64_t retry_after_s = 0;  // 429, 503: the Retry-After header
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
// {"error":{"code":…,"message":…}}
std::string error_body(std::string_view code, std::string_view message);

// A complete request, as the edge read it.
struct HttpRequest {
  // Shared with the connection's parser, which does not change it (and
  // reuses its storage for the next request once nothing holds it). Never
  // null in a request from the edge.
  std::shared_ptr<const http::RequestHead> head;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  size_t loop = 0;             // the writer loop the connection lives on
};

// What the edge writes back.
struct Reply {
  std::string bytes;        // the serialized response (or the stream's response head)
  bool keep_alive = false;  // the connection serves another request after it
  StreamId stream = 0;      // not 0: the connection becomes this stream
  int status = 0;
};

// Where a Responder takes its answer (the edge: the connection's loop).
// Called from any thread.
class AnswerSink {
 public:
  // The answer to the request on `connection`.
  virtual void take_answer(uint64_t connection, Reply reply) = 0;
  // The request's Responder went without an answer (a handler that lost it).
  virtual void lost_answer(uint64_t connection) = 0;

 protected:
  ~AnswerSink() = default;
};

// Takes the answer to the connection's loop: from any thread, at most once.
// Move-only, so that it has one owner and costs no allocation: a Responder
// destroyed without having been called tells its sink, and the connection
// gets a 500 instead of waiting forever.
class Responder {
 public:
  Responder() = default;
  Responder(AnswerSink& sink, uint64_t connection) : sink_(&sink), connection_(connection) {}
  Responder(Responder&& other) noexcept
      : sink_(std::exchange(other.sink_, nullptr)), connection_(other.connection_) {}
  Responder& operator=(Responder&& other) noexcept {
    if (this != &other) {
      drop();
      sink_ = std::exchange(other.sink_, nullptr);
      connection_ = other.connection_;
    }
    return *this;
  }
  ~Responder() { drop(); }

  // False once called (or moved from).
  explicit operator bool() const { return sink_ != nullptr; }
  // Sends the answer; a Responder already called ignores it.
  void operator()(Reply reply) {
    if (AnswerSink* sink = std::exchange(sink_, nullptr)) {
      sink->take_answer(connection_, std::move(reply));
    }
  }

 private:
  void drop() {
    if (AnswerSink* sink = std::exchange(sink_, nullptr)) sink->lost_answer(connection_);
  }

  AnswerSink* sink_ = nullptr;
  uint64_t connection_ = 0;
};

class Exchange : public std::enable_shared_from_this<Exchange> {
  struct MadeByMake {
    explicit MadeByMake() = default;
  };

 public:
  static std::shared_ptr<Exchange> make(HttpRequest request, ServerContext& context,
                                        Responder respond);
  // For make() only (std::make_shared needs a public constructor).
  Exchange(MadeByMake, HttpRequest request, ServerContext& context, Responder respond);
  // path() views the request this exchange holds: it never moves.
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  ServerContext& context() { return context_; }
  const HttpRequest& request() const { return request_; }
  const std::string& method() const { return request_.head->method; }
  const std::string& target() const { return request_.head->target; }
  const std::string& body() const { return request_.body; }
  // Moves the body out (body() is empty afterwards): for a handler that keeps it.
  std::string take_body() { return std::move(request_.body); }
  const std::string& remote_address() const { return request_.remote_address; }
  // The first request header of this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const {
    return request_.head->get(name);
  }
  // The decoded path of the target (valid as long as the exchange).
  std::string_view path() const { return path_; }

  // The first value of a query parameter.
  std::optional<std::string> query(std::string_view name) const;
  // The query string is not valid percent-encoding (then query() finds
  // nothing, and dispatch() answers 400 before any handler runs).
  bool query_malformed() const { return query_malformed_; }

  // The caller's identity from "Authorization: Bearer …" or ?token=: 401
  // without a valid token, 403 when it has neither the user nor the admin role.
  // Shared with the authenticator's memory of the token: not copied.
  Result<std::shared_ptr<const Identity>, ApiError> authenticate();
  // The request carries a token (valid or not).
  bool has_credentials() const { return header("Authorization") || query("token"); }
  // As authenticate(), and 403 unless the identity has the admin role.
  Result<std::shared_ptr<const Identity>, ApiError> authenticate_admin();

  // A header for the answer (before it is sent).
  void set_header(std::string name, std::string value);
  void send_json(int status, std::string_view body);
  void send_text(int status, std::string_view content_type, std::string_view body);
  void send_error(const ApiError& error);
  // 200 and the SSE response head; the connection becomes `stream` (opened
  // in the hub on this request's loop, and released: see PendingStream).
  void send_stream(StreamId stream);

  // The handler answers later: the exchange stays alive as long as the
  // returned handle (hold it in the callback that answers).
  std::shared_ptr<Exchange> defer() {
    deferred_ = true;
    return shared_from_this();
  }
  bool deferred() const { return deferred_; }
  bool answered() const { return answered_; }
  // The status sent, for the access log (0: nothing sent yet).
  int status() const { return status_; }

 private:
  void answer(int status, const http::Headers& headers, std::string_view content_type,
              std::string_view body);
  void deliver(Reply reply);  // the access log line, then the Responder

  HttpRequest request_;
  ServerContext& context_;
  std::string_view path_;     // into request_.head->target, or decoded_path_
  std::string decoded_path_;  // when the target's path has %-escapes
  std::vector<std::pair<std::string, std::string>> query_;
  bool query_malformed_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;  // of the answer
  Responder respond_;
  std::chrono::steady_clock::time_point started_;  // with the access log only
  bool deferred_ = false;
  bool answered_ = false;
  int status_ = 0;
};

}  // namespace sse
