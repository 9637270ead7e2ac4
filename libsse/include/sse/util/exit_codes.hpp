#pragma once

// The exit status of sse-server and ssectl, in one place (man sse-server and
// man ssectl, EXIT STATUS). Stable: scripts test them. The numbers follow
// sysexits.h where one fits.

namespace sse {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,         // ssectl: anything else (404, a server fault)
  kExitUsage = 64,          // bad flags or arguments (EX_USAGE)
  kExitBadInput = 65,       // ssectl: bad JSON, a token, a field the server refused (EX_DATAERR)
  kExitUnavailable = 69,    // ssectl: cannot connect, or the server is not ready;
                            // sse-server: cannot listen or reach a service (EX_UNAVAILABLE)
  kExitSoftware = 70,       // sse-server: an internal error (EX_SOFTWARE)
  kExitOutputClosed = 74,   // ssectl: stdout was closed before everything was written (EX_IOERR)
  kExitTimeout = 75,        // ssectl: the wait or a request timed out (EX_TEMPFAIL)
  kExitProtocol = 76,       // ssectl: the answer is not what sse-server sends (EX_PROTOCOL)
  kExitAuth = 77,           // ssectl: the token was refused: 401, 403, a bad signature (EX_NOPERM)
  kExitConfig = 78,         // a bad config file, variable or key file (EX_CONFIG)
  kExitBusy = 79,           // ssectl: the server refused for now (429, 503): try again later
  kExitCommandFailed = 80,  // ssectl wait: COMMAND exited non-zero, was killed, or did not run
  kExitInterrupted = 130,   // ssectl: SIGINT (Ctrl-C)
};

}  // namespace sse
