#pragma once

// The progress line: one line on stderr, redrawn in place (~2 times a
// second) while a run goes on, erased before the report is printed.

#include <cstdint>
#include <cstdio>
#include <string>

namespace sse::bench {

// The live counters of every thread, summed.
struct LiveSums {
  uint64_t connections = 0;
  uint64_t started = 0;
  uint64_t established = 0;
  uint64_t refused = 0;
  uint64_t dropped = 0;
  uint64_t reconnects = 0;
  uint64_t received = 0;  // unique deliveries to counted subscribers
  uint64_t received_total = 0;
  uint64_t other_events = 0;
  uint64_t sent = 0;
  uint64_t published = 0;
  uint64_t publish_errors = 0;
  uint64_t expected = 0;
};

class Progress {
 public:
  explicit Progress(FILE* out) : out_(out) {}  // nullptr: draws nothing

  // Redraws the line; rates are per second since the previous draw.
  void draw(const char* phase, double elapsed_s, const LiveSums& sums);
  // Erases the line (if one was drawn).
  void clear();

  // The line's text, without control characters (tests, and draw()).
  static std::string format(const char* phase, double elapsed_s, const LiveSums& sums,
                            double publish_per_s, double received_per_s);

 private:
  FILE* out_;
  bool drawn_ = false;
  double last_s_ = 0;
  LiveSums last_;
};

}  // namespace sse::bench
