#include "sse-bench/report.hpp"

#include <fmt/format.h>

namespace sse::bench {
namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_counts(const std::map<std::string, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [key, value] : counts) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{}:{}", json_string(key), value);
  }
  return out + "}";
}

std::string json_percentiles(const Percentiles& p, bool full) {
  if (!full)
    return fmt::format(R"({{"p50":{:.3f},"p99":{:.3f},"max":{:.3f}}})", p.p50, p.p99, p.max);
  return fmt::format(R"({{"p50":{:.3f},"p90":{:.3f},"p99":{:.3f},"p999":{:.3f},"max":{:.3f}}})",
                     p.p50, p.p90, p.p99, p.p999, p.max);
}

std::string text_counts(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [key, value] : counts) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", value, key);
  }
  return out;
}

std::string text_percentiles(const Percentiles& p) {
  return fmt::format("p50 {:.3f} ms  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f}", p.p50,
                     p.p90, p.p99, p.p999, p.max);
}

}  // namespace

Percentiles percentiles_ms(const Histogram& us) {
  auto ms = [&](double p) { return static_cast<double>(us.value_at_percentile(p)) / 1000.0; };
  return {ms(50), ms(90), ms(99), ms(99.9), static_cast<double>(us.max()) / 1000.0};
}

std::string report_json(const Report& r) {
  std::string out = "{";
  auto add = [&](std::string_view key, const std::string& value) {
    if (out.size() > 1) out += ',';
    out += fmt::format("\"{}\":{}", key, value);
  };
  auto num = [](auto value) { return fmt::format("{}", value); };
  auto real = [](double value) { return fmt::format("{:.3f}", value); };

  add("connections", num(r.connections));
  add("started", num(r.started));
  add("established", num(r.established));
  add("refused", num(r.refused));
  add("refused_by_status", json_counts(r.refused_by_status));
  add("pending", num(r.pending));
  add("connect_ms", json_percentiles(r.connect_ms, false));
  add("connect_phase_s", real(r.connect_phase_s));
  add("dropped", num(r.dropped));
  add("reconnects", num(r.reconnects));
  add("reconnect_errors", num(r.reconnect_errors));
  add("protocol_errors", num(r.protocol_errors));
  add("published", num(r.published));
  add("publish_sent", num(r.publish_sent));
  add("publish_errors", num(r.publish_errors));
  add("publish_errors_by_status", json_counts(r.publish_errors_by_status));
  add("publish_behind", num(r.publish_behind));
  add("publish_connects", num(r.publish_connects));
  add("expected", num(r.expected));
  add("received", num(r.received));
  add("lost", num(r.lost));
  add("duplicates", num(r.duplicates));
  add("misrouted", num(r.misrouted));
  add("stale", num(r.stale));
  add("other_events", num(r.other_events));
  add("received_total", num(r.received_total));
  add("deliveries_per_s", real(r.deliveries_per_s));
  add("publish_per_s", real(r.publish_per_s));
  add("publish_s", real(r.publish_s));
  add("publish_latency_ms", json_percentiles(r.publish_latency_ms, true));
  add("latency_ms", json_percentiles(r.latency_ms, true));
  add("duration_s", real(r.duration_s));
  add("interrupted", r.interrupted ? "true" : "false");
  add("server_cpu_s", real(r.server_cpu_s));
  add("server_cpu_total_s", real(r.server_cpu_total_s));
  add("server_rss_kb", num(r.server_rss_kb));
  add("server_rss_kb_before", num(r.server_rss_kb_before));
  add("server_rss_kb_idle", num(r.server_rss_kb_idle));
  add("server_rss_kb_after", num(r.server_rss_kb_after));
  std::string gone = "[";
  for (pid_t pid : r.server_pids_gone) gone += fmt::format("{}{}", gone.size() > 1 ? "," : "", pid);
  add("server_pids_gone", gone + "]");
  add("rate", real(r.rate));
  add("channels", num(r.channels));
  add("threads", num(r.threads));
  add("publish_connections", num(r.publish_connections));
  add("source_addresses", num(r.source_addresses));
  add("reconnect", r.reconnect ? "true" : "false");
  add("url", json_string(r.url));
  add("publish_url", json_string(r.publish_url));
  if (!r.first_connect_error.empty())
    add("first_connect_error", json_string(r.first_connect_error));
  return out + "}\n";
}

std::string report_text(const Report& r) {
  std::string out;
  auto line = [&](std::string_view label, const std::string& text) {
    out += fmt::format("{:<13}{}\n", label, text);
  };
  line("target",
       fmt::format("{} ({} on {} channel{}, {} thread{})", r.url, r.connections, r.channels,
                   r.channels == 1 ? "" : "s", r.threads, r.threads == 1 ? "" : "s"));
  std::string connections = fmt::format("{} established, {} refused", r.established, r.refused);
  if (r.refused > 0) connections += " (" + text_counts(r.refused_by_status) + ")";
  if (r.pending > 0) connections += fmt::format(", {} pending", r.pending);
  if (r.started < r.connections)
    connections += fmt::format(", {} never started", r.connections - r.started);
  connections += fmt::format(", {} dropped, {} reconnects", r.dropped, r.reconnects);
  if (r.reconnect_errors > 0) connections += fmt::format(" ({} failed tries)", r.reconnect_errors);
  if (r.protocol_errors > 0) {
    connections += fmt::format(", {} streams ended by bad framing", r.protocol_errors);
  }
  line("connections", connections);
  if (!r.first_connect_error.empty()) line("", "first connect error: " + r.first_connect_error);
  line("connect",
       fmt::format("p50 {:.3f} ms  p99 {:.3f}  max {:.3f}  (all settled in {:.2f} s)",
                   r.connect_ms.p50, r.connect_ms.p99, r.connect_ms.max, r.connect_phase_s));
  if (!r.publish_url.empty()) {
    std::string errors = fmt::format("{} errors", r.publish_errors);
    if (r.publish_errors > 0) errors += " (" + text_counts(r.publish_errors_by_status) + ")";
    line("publish",
         fmt::format("{} published of {} sent in {:.2f} s, {:.1f}/s (asked {}), {}, {} behind",
                     r.published, r.publish_sent, r.publish_s, r.publish_per_s,
                     r.rate > 0 ? fmt::format("{:g}/s", r.rate) : "closed loop", errors,
                     r.publish_behind));
    line("publish time", text_percentiles(r.publish_latency_ms));
    line(
        "deliveries",
        fmt::format("{} expected, {} received ({:.0f}/s), {} lost, {} duplicates, {} misrouted",
                    r.expected, r.received, r.deliveries_per_s, r.lost, r.duplicates, r.misrouted));
    line("latency", text_percentiles(r.latency_ms));
  }
  line("other events", fmt::format("{} (no stamp: heartbeats, presence, ...); {} stale stamps",
                                   r.other_events, r.stale));
  if (r.server_measured) {
    line("server cpu",
         fmt::format("{:.2f} s {} ({:.2f} s over the run)", r.server_cpu_s,
                     r.publish_url.empty() ? "holding" : "publishing", r.server_cpu_total_s));
    line("server rss",
         fmt::format("{} kB before, {} idle, {} peak {}, {} after", r.server_rss_kb_before,
                     r.server_rss_kb_idle, r.server_rss_kb,
                     r.publish_url.empty() ? "holding" : "publishing", r.server_rss_kb_after));
    for (pid_t pid : r.server_pids_gone) {
      line("", fmt::format("pid {} went away; its last reading is used", pid));
    }
  }
  line("duration", fmt::format("{:.2f} s{}", r.duration_s, r.interrupted ? " (interrupted)" : ""));
  return out;
}

}  // namespace sse::bench
