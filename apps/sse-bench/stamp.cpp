#include "sse-bench/stamp.hpp"

#include <charconv>
#include <cstring>
#include <limits>

namespace sse::bench {
namespace {

// Reads decimal digits at `p`; advances it past them. nullopt for no digits
// or a value over `max`. (Overflow by the builtins: a division per digit, or
// std::from_chars, showed in profiles at a million stamps a second.)
std::optional<uint64_t> read_number(const char*& p, const char* end, uint64_t max) {
  const char* q = p;  // a local, so the loop does not store through `p`
  uint64_t value = 0;
  while (q < end && *q >= '0' && *q <= '9') {
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, static_cast<uint64_t>(*q - '0'), &value)) {
      return std::nullopt;
    }
    ++q;
  }
  if (q == p || value > max) return std::nullopt;
  p = q;
  return value;
}

// The stamp that starts at `p` (just after "sb:"), if one does.
std::optional<Stamp> read_stamp(const char* p, const char* end) {
  constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();
  const auto channel = read_number(p, end, std::numeric_limits<uint32_t>::max());
  if (!channel || p == end || *p++ != ':') return std::nullopt;
  const auto cseq = read_number(p, end, kMax64);
  if (!cseq || p == end || *p++ != ':') return std::nullopt;
  const auto send_ns = read_number(p, end, kMax64);
  if (!send_ns) return std::nullopt;
  return Stamp{static_cast<uint32_t>(*channel), *cseq, *send_ns};
}

void append_number(std::string& out, uint64_t value) {
  char digits[20];
  auto [end, ignored] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

void append_stamp(std::string& out, const Stamp& stamp) {
  out += "sb:";
  append_number(out, stamp.channel);
  out += ':';
  append_number(out, stamp.cseq);
  out += ':';
  append_number(out, stamp.send_ns);
}

std::optional<Stamp> find_stamp(std::string_view text) {
  // memchr for the 'b' of "sb:" (rare in JSON, and memchr is vectorized),
  // then the bytes around it: cheaper than memmem on every data line.
  if (text.size() < 3) return std::nullopt;
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin + 1;
  while (end - p >= 2) {
    p = static_cast<const char*>(std::memchr(p, 'b', static_cast<size_t>(end - p) - 1));
    if (p == nullptr) return std::nullopt;
    if (p[-1] == 's' && p[1] == ':') {
      if (auto stamp = read_stamp(p + 2, end)) return stamp;
    }
    ++p;
  }
  return std::nullopt;
}

}  // namespace sse::bench
