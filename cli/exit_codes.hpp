#pragma once

// ssectl's failures. The exit codes themselves are sse/util/exit_codes.hpp,
// shared with sse-server.

#include <string>

#include "sse/util/exit_codes.hpp"

namespace sse::cli {

// A failure that ends the command: run_ssectl prints "ssectl: <message>" on
// stderr and exits with `code`. Thrown only inside cli/ and caught in
// run_ssectl (the edge), so command code reads straight down.
struct Failure {
  int code = kExitFailure;
  std::string message;
};

[[noreturn]] inline void fail(int code, std::string message) {
  throw Failure{code, std::move(message)};
}

}  // namespace sse::cli
