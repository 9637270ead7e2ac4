#pragma once

// Errors as values: core functions return Result<T> (a value or an Error with
// a message meant for a human: it names the bad input). Exceptions stay at the
// edges (HTTP handlers, main).

#include <string>
#include <utility>
#include <variant>

namespace sse {

struct Error {
  std::string message;
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
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, E> state_;
};

// Result of an operation that produces no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : failed_(true), error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return error_.message; }

 private:
  bool failed_ = false;
  Error error_;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace sse
