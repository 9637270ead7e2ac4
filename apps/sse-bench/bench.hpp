#pragma once

// One run of sse-bench, start to end: connect the subscribers, wait for the
// warmup, publish on schedule, drain, and gather what every thread measured
// into a Report. main() only parses flags, calls this and prints.
//
// The phases, and what is measured in each (sse-bench(1), MEASUREMENTS):
//   before     server sampled before the first connect
//   connect    subscribers open on the --connect-rate schedule until each is
//              established or refused, or --connect-timeout passes after
//              the last one was started
//   idle       server sampled; the publisher connects during --warmup
//   streaming  the subscribers established now are counted: each expects
//              every publish to its channel. Publishing, then --drain (ended
//              early once everything expected arrived). Server CPU is what
//              it used in this phase, RSS its peak. Without --publish-url
//              this phase is --duration of holding the streams open.
//   after      everything closed; server sampled.

#include <atomic>
#include <cstdint>
#include <cstdio>

#include "sse-bench/options.hpp"
#include "sse-bench/report.hpp"
#include "sse/util/result.hpp"

namespace sse::bench {

struct RunHooks {
  const std::atomic<bool>* interrupted = nullptr;  // set by SIGINT: end early, still report
  FILE* progress = nullptr;                        // redraw a progress line here; nullptr: none
};

// Runs the benchmark. Errors: invalid_argument for settings that cannot work
// here (source addresses for a remote target), unavailable when a target
// cannot be resolved or a thread or loop cannot be started.
Result<Report> run_bench(const Settings& settings, const RunHooks& hooks);

// The exit status for a finished run (sse-bench(1), EXIT STATUS): 130 if
// interrupted; 69 if no subscriber was established or no publish connection
// could be made; with --strict, 1 if anything was lost, duplicated or
// misrouted; else 0.
int exit_code_for(const Settings& settings, const Report& report);

// Raises RLIMIT_NOFILE's soft limit to the hard one; an invalid_argument
// error naming both numbers when `needed` descriptors do not fit.
Status raise_descriptor_limit(uint64_t needed);

}  // namespace sse::bench
