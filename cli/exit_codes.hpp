#pragma once

// ssectl's exit status (man ssectl, EXIT STATUS). Stable: scripts test them.
// The numbers follow sysexits.h where one fits.

#include <string>

namespace sse::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,        // anything else (404, a server fault)
  kExitUsage = 64,         // bad flags or arguments (EX_USAGE)
  kExitBadInput = 65,      // bad input data: JSON, a token, a field the server refused (EX_DATAERR)
  kExitUnreachable = 69,   // cannot connect, or the server is not ready (EX_UNAVAILABLE)
  kExitTimeout = 75,       // timed out, or the server said try later (429) (EX_TEMPFAIL)
  kExitProtocol = 76,      // the answer is not what sse-server sends (EX_PROTOCOL)
  kExitAuth = 77,          // the token was refused: 401, 403, a bad signature (EX_NOPERM)
  kExitConfig = 78,        // a bad config file or SSECTL_* variable (EX_CONFIG)
  kExitInterrupted = 130,  // SIGINT (Ctrl-C)
};

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
