#include "sse/metrics/metrics.hpp"

#include <fmt/format.h>

namespace sse {
namespace {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}

template <size_t N>
void labelled(std::string& out, std::string_view name, std::string_view label,
              const std::array<Counter, N>& values, auto label_of) {
  for (size_t i = 0; i < N; ++i) {
    fmt::format_to(std::back_inserter(out), "{}{{{}=\"{}\"}} {}\n", name, label, label_of(i),
                   values[i].load(Metrics::relaxed));
  }
}

}  // namespace

std::string render_prometheus(const Metrics& m, const Gauges& g) {
  std::string out;
  out.reserve(4096);
  auto stream_of = [](size_t i) { return channel_name(static_cast<Channel>(i)); };

  header(out, "sse_open_streams", "gauge", "Streams open now, by stream type.");
  for (size_t i = 0; i < kChannelCount; ++i) {
    fmt::format_to(std::back_inserter(out), "sse_open_streams{{stream=\"{}\"}} {}\n", stream_of(i),
                   g.open_streams[i]);
  }
  header(out, "sse_streams_opened_total", "counter", "Streams opened, by stream type.");
  labelled(out, "sse_streams_opened_total", "stream", m.streams_opened, stream_of);
  header(out, "sse_streams_closed_total", "counter", "Streams closed, by reason.");
  labelled(out, "sse_streams_closed_total", "reason", m.streams_closed,
           [](size_t i) { return close_reason_label(static_cast<CloseReason>(i)); });
  header(out, "sse_events_published_total", "counter", "Events appended to the log, by stream.");
  labelled(out, "sse_events_published_total", "stream", m.events_published, stream_of);
  header(out, "sse_events_delivered_total", "counter", "Event copies written to streams.");
  sample(out, "sse_events_delivered_total", m.events_delivered.load(Metrics::relaxed));
  header(out, "sse_heartbeats_sent_total", "counter", "Heartbeats written to streams.");
  sample(out, "sse_heartbeats_sent_total", m.heartbeats_sent.load(Metrics::relaxed));
  header(out, "sse_bytes_sent_total", "counter", "Bytes written to streams.");
  sample(out, "sse_bytes_sent_total", m.bytes_sent.load(Metrics::relaxed));
  header(out, "sse_slow_client_drops_total", "counter",
         "Streams closed because the client did not keep up.");
  sample(out, "sse_slow_client_drops_total",
         m.streams_closed[static_cast<size_t>(CloseReason::kSlowClient)].load(Metrics::relaxed));
  header(out, "sse_rejections_total", "counter", "Refused requests and streams, by reason.");
  labelled(out, "sse_rejections_total", "reason", m.rejections,
           [](size_t i) { return rejection_label(static_cast<Rejection>(i)); });
  header(out, "sse_replays_total", "counter", "Streams opened with a Last-Event-ID.");
  sample(out, "sse_replays_total", m.replays.load(Metrics::relaxed));
  header(out, "sse_replays_incomplete_total", "counter",
         "Replays whose Last-Event-ID was no longer in the log.");
  sample(out, "sse_replays_incomplete_total", m.replays_incomplete.load(Metrics::relaxed));
  header(out, "sse_replayed_events_total", "counter", "Events sent by replays.");
  sample(out, "sse_replayed_events_total", m.replayed_events.load(Metrics::relaxed));
  header(out, "sse_http_requests_total", "counter", "HTTP requests received.");
  sample(out, "sse_http_requests_total", m.http_requests.load(Metrics::relaxed));
  header(out, "sse_http_connections_accepted_total", "counter", "TCP connections accepted.");
  sample(out, "sse_http_connections_accepted_total",
         m.http_connections_accepted.load(Metrics::relaxed));
  header(out, "sse_http_connections", "gauge",
         "Open connections that are not streams: reading, handling, writing or idle.");
  sample(out, "sse_http_connections", m.http_connections_open.load(Metrics::relaxed));
  header(out, "sse_log_events", "gauge", "Events held in the event log.");
  sample(out, "sse_log_events", g.log_events);
  header(out, "sse_log_head_id", "gauge", "Id of the newest event.");
  sample(out, "sse_log_head_id", g.log_head);
  header(out, "sse_queued_events", "gauge", "Events waiting in stream queues.");
  sample(out, "sse_queued_events", g.queued_events);
  header(out, "sse_queued_bytes", "gauge", "Bytes waiting in stream queues.");
  sample(out, "sse_queued_bytes", g.queued_bytes);
  if (g.redis_connected) {
    header(out, "sse_redis_connected", "gauge",
           "1 while Redis answers both the event log's writer and its reader, else 0.");
    sample(out, "sse_redis_connected", *g.redis_connected ? 1 : 0);
    header(out, "sse_redis_reconnects_total", "counter",
           "Times a connection to Redis came back after it was lost.");
    sample(out, "sse_redis_reconnects_total", g.redis_reconnects);
  }
  header(out, "sse_uptime_seconds", "gauge", "Seconds since the server started.");
  fmt::format_to(std::back_inserter(out), "sse_uptime_seconds {:.3f}\n", g.uptime_seconds);
  return out;
}

}  // namespace sse
