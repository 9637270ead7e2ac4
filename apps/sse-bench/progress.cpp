#include "sse-bench/progress.hpp"

#include <fmt/format.h>

namespace sse::bench {
namespace {

// 1234567 -> "1.23M": short enough for one line.
std::string si(double value) {
  if (value >= 1e9) return fmt::format("{:.2f}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.2f}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:.1f}k", value / 1e3);
  return fmt::format("{:.0f}", value);
}

}  // namespace

std::string Progress::format(const char* phase, double elapsed_s, const LiveSums& s,
                             double publish_per_s, double received_per_s) {
  std::string line = fmt::format("sse-bench {:6.1f}s {:<10} {}/{} up", elapsed_s, phase,
                                 s.established - s.dropped, s.connections);
  if (s.refused > 0) line += fmt::format(", {} refused", s.refused);
  if (s.dropped > 0) line += fmt::format(", {} dropped", s.dropped);
  if (s.reconnects > 0) line += fmt::format(", {} reconnects", s.reconnects);
  if (s.sent > 0) {
    line += fmt::format(" | pub {} ({}/s", si(static_cast<double>(s.published)), si(publish_per_s));
    if (s.publish_errors > 0) line += fmt::format(", {} err", s.publish_errors);
    line += fmt::format(") | recv {}/{} ({}/s)", si(static_cast<double>(s.received)),
                        si(static_cast<double>(s.expected)), si(received_per_s));
  }
  if (s.other_events > 0)
    line += fmt::format(" | other {}", si(static_cast<double>(s.other_events)));
  return line;
}

void Progress::draw(const char* phase, double elapsed_s, const LiveSums& sums) {
  if (out_ == nullptr) return;
  const double span = elapsed_s - last_s_;
  auto rate = [&](uint64_t now, uint64_t before) {
    return span > 0 && now >= before ? static_cast<double>(now - before) / span : 0.0;
  };
  const std::string line = format(phase, elapsed_s, sums, rate(sums.published, last_.published),
                                  rate(sums.received_total, last_.received_total));
  std::fprintf(out_, "\r%s\033[K", line.c_str());
  std::fflush(out_);
  drawn_ = true;
  last_s_ = elapsed_s;
  last_ = sums;
}

void Progress::clear() {
  if (out_ == nullptr || !drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace sse::bench
