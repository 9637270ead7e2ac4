#pragma once

// What the third-party daemons of the end-to-end tests (redis-server, nginx,
// HAProxy; see redis.hpp and proxy.hpp) have in common: each runs in the
// foreground as a Child, with its output in a log file of its own (a Child's
// pipes are read only while a test waits on it, and a daemon that fills one
// would stall), on a loopback port that was free a moment before it started.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace e2e {

// A loopback port nobody was bound to a moment ago (bind port 0, read it,
// release it). Another process may take it before the daemon binds it, so
// callers start the daemon again on a fresh port when it cannot bind.
int free_loopback_port();

// True when a TCP connection to 127.0.0.1:`port` succeeds now.
bool accepts_connections(int port);

// Starts `argv` (argv[0] an absolute path) with stdout and stderr appended to
// `log`. The command runs through `/bin/sh -c 'exec …'`, so the Child's pid is
// the daemon's own and a signal to it reaches the daemon. Throws
// std::runtime_error naming the binary when it is not installed, with the
// hint to run scripts/install-deps.
std::unique_ptr<Child> spawn_logged(const std::vector<std::string>& argv,
                                    const std::filesystem::path& log);

// Calls `ready` every 20 ms until it returns true (true), or until `child`
// exits or `timeout` passes (false).
bool wait_until_ready(Child& child, const std::function<bool()>& ready,
                      std::chrono::milliseconds timeout);

// The file's contents; "" when it cannot be read (for failure messages).
std::string file_text(const std::filesystem::path& path);

}  // namespace e2e
