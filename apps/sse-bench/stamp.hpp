#pragma once

// The delivery stamp: what {stamp} puts in a publish and what subscribers look
// for in an event's data, "sb:<ch>:<cseq>:<send_ns>" in decimal: the channel,
// the publish's number within its channel (from 0) and CLOCK_MONOTONIC at
// send, in nanoseconds. Only [a-z0-9:], so it survives JSON strings, query
// strings and any server that passes data on as text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse::bench {

struct Stamp {
  uint32_t channel = 0;
  uint64_t cseq = 0;
  uint64_t send_ns = 0;
  bool operator==(const Stamp&) const = default;
};

// Appends the stamp's text to `out`.
void append_stamp(std::string& out, const Stamp& stamp);

// The first well-formed stamp in `text`: "sb:" then three ':'-separated runs
// of decimal digits, the last ending at a non-digit or the end. A malformed
// candidate ("sb:x", an overflowing number) is skipped and the search goes
// on. nullopt when there is none.
std::optional<Stamp> find_stamp(std::string_view text);

}  // namespace sse::bench
