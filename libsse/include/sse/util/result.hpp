#pragma once

// Errors as values (LevelDB's Status is the model). Core functions return
// Result<T> (a value or an Error) or Status (success or an Error). An Error has
// a small code that callers branch on, and a message meant for a human that
// names the bad input. Exceptions stay at the edges (HTTP handlers, main).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sse {

enum class ErrorCode : uint8_t {
  kInvalidArgument,   // the input is wrong: a field, a flag, a config value, a token's form
  kNotFound,          // what was named does not exist
  kUnauthenticated,   // no valid credentials: a bad signature, an expired token
  kPermissionDenied,  // valid credentials that do not allow this
  kUnavailable,       // cannot now, may later: shutting down, a backend away
  kCorruption,        // stored data is damaged or was written by something else
  kIoError,           // a file, socket or database cannot be read or written
  kInternal,          // an invariant broke, or a library failed unexpectedly
};

// "invalid_argument", "not_found", …: for logs and tests.
std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error invalid_argument(std::string message) {
    return {ErrorCode::kInvalidArgument, std::move(message)};
  }
  static Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
  static Error unauthenticated(std::string message) {
    return {ErrorCode::kUnauthenticated, std::move(message)};
  }
  static Error permission_denied(std::string message) {
    return {ErrorCode::kPermissionDenied, std::move(message)};
  }
  static Error unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message)};
  }
  static Error corruption(std::string message) {
    return {ErrorCode::kCorruption, std::move(message)};
  }
  static Error io_error(std::string message) { return {ErrorCode::kIoError, std::move(message)}; }
  static Error internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  bool is_invalid_argument() const { return code_ == ErrorCode::kInvalidArgument; }
  bool is_not_found() const { return code_ == ErrorCode::kNotFound; }
  bool is_unauthenticated() const { return code_ == ErrorCode::kUnauthenticated; }
  bool is_permission_denied() const { return code_ == ErrorCode::kPermissionDenied; }
  bool is_unavailable() const { return code_ == ErrorCode::kUnavailable; }
  bool is_corruption() const { return code_ == ErrorCode::kCorruption; }
  bool is_io_error() const { return code_ == ErrorCode::kIoError; }
  bool is_internal() const { return code_ == ErrorCode::kInternal; }

  // The same kind of error with "context: " before the message.
  Error with_context(std::string_view context) const {
    return {code_, std::string(context) + ": " + message_};
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// A value or an error; E is Error unless a layer needs richer errors (the HTTP
// layer carries a status code in its own error type).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Only valid when !ok().
  const E& error() const { return std::get<1>(state_); }
  const std::string& message() const { return error().message(); }

 private:
  std::variant<T, E> state_;
};

// The outcome of an operation that produces no value: success, or an Error.
// A default-constructed Status is a success.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<std::monostate>(error_); }
  explicit operator bool() const { return ok(); }

  // Only valid when !ok().
  const Error& error() const { return std::get<Error>(error_); }
  const std::string& message() const { return error().message(); }

 private:
  std::variant<std::monostate, Error> error_;
};

}  // namespace sse
