#include "sse/util/result.hpp"

#include <catch2/catch.hpp>

using sse::Error;
using sse::ErrorCode;
using sse::Result;
using sse::Status;

TEST_CASE("an Error has a code to branch on and a message", "[result]") {
  const Error e = Error::unavailable("the server is shutting down");
  CHECK(e.is_unavailable());
  CHECK_FALSE(e.is_internal());
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(e.message() == "the server is shutting down");
  const Error framed = Error::io_error("disk full").with_context("history.path");
  CHECK(framed.is_io_error());
  CHECK(framed.message() == "history.path: disk full");
  CHECK(sse::error_code_name(ErrorCode::kInvalidArgument) == "invalid_argument");
  CHECK(sse::error_code_name(ErrorCode::kPermissionDenied) == "permission_denied");
}

TEST_CASE("Result holds a value or an error, and Status a success or an error", "[result]") {
  Result<int> value = 3;
  REQUIRE(value.ok());
  CHECK(*value == 3);
  Result<int> failed = Error::not_found("no such stream");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().is_not_found());
  CHECK(failed.message() == "no such stream");

  const Status fine;
  CHECK(fine.ok());
  const Status bad = Error::corruption("bad page");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().is_corruption());
  CHECK(bad.message() == "bad page");
}
